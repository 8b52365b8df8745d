package telemetry

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

// Writing one log line per request straight to stdout costs a write system
// call per request, which at flash-sale rates is a large share of a
// request's CPU. The logger of a running function therefore writes through a
// logBuffer: lines are collected in memory and written out together every
// logFlushInterval, when the buffer is full, at once for every record at
// warn level or above (errors, 5xx, slow or refused requests), and when the
// function stops. A crash loses at most logFlushInterval of info lines.
const (
	logFlushInterval = 100 * time.Millisecond
	logBufferSize    = 64 << 10
)

// logBuffer is a buffered writer safe for concurrent use, flushed
// periodically until Close.
type logBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, logBufferSize), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushEvery(logFlushInterval)
	return b
}

// Write buffers p, which slog's handlers pass as one whole record.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out everything buffered.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the periodic flush and flushes what is left.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}

func (b *logBuffer) flushEvery(d time.Duration) {
	defer close(b.done)
	defer func() {
		// The log itself failed, so the panic goes to stderr; lines are
		// still written at warn level and above, and at Close.
		if v := recover(); v != nil {
			fmt.Fprintf(os.Stderr, "panic in the log flusher: %v\n%s", v, debug.Stack())
		}
	}()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			_ = b.Flush()
		}
	}
}

// flushHandler flushes its buffer after every record at warn level or
// above, so problems reach the log at once.
type flushHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h flushHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		_ = h.buf.Flush()
	}
	return err
}

func (h flushHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushHandler{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushHandler) WithGroup(name string) slog.Handler {
	return flushHandler{h.Handler.WithGroup(name), h.buf}
}

// NewBufferedLogger is NewLogger writing through a logBuffer on w; close
// flushes what is left and must be called when the function stops.
func NewBufferedLogger(w io.Writer, level string) (log *slog.Logger, close func()) {
	buf := newLogBuffer(w)
	l := NewLogger(buf, level)
	return slog.New(flushHandler{l.Handler(), buf}), func() { _ = buf.Close() }
}
