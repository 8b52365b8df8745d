package telemetry

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// StartPprof serves the Go profiler (net/http/pprof) on addr, a separate
// listener that is off unless PPROF_ADDR is set: it exposes internals, so it
// belongs on 127.0.0.1 or a port the outside cannot reach.
func StartPprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go Run(log, "pprof", func() {
		log.Info("pprof listening", "addr", addr)
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof", "addr", addr, "err", err)
		}
	})
}
