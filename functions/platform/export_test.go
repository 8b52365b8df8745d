package platform

// NewBufferedLogger exposes newBufferedLogger to the tests.
var NewBufferedLogger = newBufferedLogger
