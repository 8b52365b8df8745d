package telemetry

// NewTracerProvider exposes newTracerProvider to the tests.
var NewTracerProvider = newTracerProvider
