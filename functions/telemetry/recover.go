package telemetry

import (
	"fmt"
	"log/slog"
	"runtime/debug"
)

// Run runs fn, a goroutine's body, and recovers from a panic in it: the
// panic is logged to log at error level with its stack, and Run returns true.
// A panic outside a request handler (which httpapi.Recover handles) would
// otherwise end the process and every sale it serves; the caller decides
// what comes after (run fn again, or stop cleanly).
func Run(log *slog.Logger, where string, fn func()) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			log.Error("panic in a background goroutine", "where", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	fn()
	return false
}
