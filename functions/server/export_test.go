package server

// PrintUsage exposes printUsage to the tests.
var PrintUsage = printUsage
