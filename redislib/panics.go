package redislib

import (
	"fmt"
	"log/slog"
	"runtime/debug"
)

// A panic in a goroutine that no request handler runs (an auto-pipeline
// flusher, a lease renewal) would end the whole process, with every sale it
// serves. Each such goroutine therefore recovers: the panic is counted
// (Store.Panics), reported with its stack to the Store's panic handler, and
// what the goroutine was doing fails as an internal error instead of hanging.

// OnPanic sets the function told of every panic recovered in one of the
// Store's background goroutines: where names the goroutine, v is the panic's
// value and stack its stack. By default it is logged with slog's default
// logger at error level.
func OnPanic(fn func(where string, v any, stack []byte)) Option {
	return func(s *Store) { s.pipe.onPanic = fn }
}

// Panics returns how many panics the Store's background goroutines have
// recovered.
func (s *Store) Panics() int64 { return s.pipe.panics.Load() }

// recovered counts and reports a panic recovered in a background goroutine
// and returns it as an error. It must be called with the value of recover().
func (p *autoPipe) recovered(where string, v any) error {
	p.panics.Add(1)
	stack := debug.Stack()
	if p.onPanic != nil {
		p.onPanic(where, v, stack)
	} else {
		slog.Error("panic in a background goroutine", "where", where, "panic", fmt.Sprint(v), "stack", string(stack))
	}
	return fmt.Errorf("%s: panic: %v", where, v)
}

// goSafe runs fn in a goroutine of its own that recovers from a panic.
func (s *Store) goSafe(where string, fn func()) {
	go func() {
		defer func() {
			if v := recover(); v != nil {
				_ = s.pipe.recovered(where, v)
			}
		}()
		fn()
	}()
}
