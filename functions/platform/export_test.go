package platform

// NewBufferedLogger exposes newBufferedLogger to the tests.
var NewBufferedLogger = newBufferedLogger

// Names the tests check the HTTP layer with.
const (
	CodeInternal    = codeInternal
	MaxRequestIDLen = maxRequestIDLen
)

var (
	InstrumentRedis   = instrumentRedis
	NewTracerProvider = newTracerProvider
	ParseLevel        = parseLevel
	PrintUsage        = printUsage
	ValidRequestID    = validRequestID
)
