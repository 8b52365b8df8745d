package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"

	"seckill/functions/auth"
	"seckill/functions/telemetry"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Main runs fns as one process: it reads the configuration from the
// environment, connects to Redis, serves on PORT and shuts down gracefully on
// SIGTERM or SIGINT. It never returns.
func Main(fns ...Function) {
	os.Exit(Run(os.Args[1:], os.Stdout, os.Stderr, fns...))
}

// Run is Main with its arguments and outputs given; it returns the exit code.
func Run(args []string, stdout, stderr io.Writer, fns ...Function) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			printUsage(stdout, fns)
			return 0
		}
		if args[0] == "-healthcheck" || args[0] == "--healthcheck" {
			var e env
			if err := envconfig.Process("", &e); err != nil {
				fmt.Fprintf(stderr, "configuration: %v\n", err)
				return 1
			}
			return healthcheck(stderr, e.Port)
		}
		fmt.Fprintf(stderr, "unknown argument %q: configuration comes from the environment (see --help)\n", args[0])
		return 2
	}
	var e env
	if err := envconfig.Process("", &e); err != nil {
		fmt.Fprintf(stderr, "configuration: %v (see --help)\n", err)
		return 2
	}
	cfg, rcfg := e.Config, e.RedisConfig
	if err := CheckRoutes(fns...); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 2
	}
	if err := cfg.Check(); err != nil {
		fmt.Fprintf(stderr, "configuration: %v (see --help)\n", err)
		return 2
	}
	if err := rcfg.Check(cfg.RequestTimeout); err != nil {
		fmt.Fprintf(stderr, "configuration: %v (see --help)\n", err)
		return 2
	}
	baseLog, closeLog := telemetry.NewBufferedLogger(stdout, cfg.LogLevel)
	defer closeLog()
	log := baseLog.With("function", functionNames(fns))
	if admin := adminRoutes(fns); admin != "" && cfg.AdminToken == "" {
		log.Error("ADMIN_TOKEN is not set: this function serves admin routes (" + admin + ") and refuses to start without a token")
		return 1
	}
	if users := userRoutes(fns); users != "" {
		switch {
		case cfg.TokenConfig.Off():
			log.Warn("!!! USER_AUTH=off: user authentication is OFF; anyone can buy, cancel and read as any user on " + users + " (local trials only) !!!")
		case !cfg.TokenConfig.Configured():
			log.Error(auth.ErrUserAuthNotConfigured.Error() + "; this function serves user routes (" + users + ") and refuses to start")
			return 2
		}
	}
	if pay := paymentRoutes(fns); pay != "" {
		if err := cfg.PaymentConfig.RequireWebhookSecret(); err != nil {
			log.Error(err.Error(), "routes", pay)
			return 1
		}
		if cfg.PaymentDemo {
			log.Warn("!!! PAYMENT_DEMO is set: POST /orders/:id/demo-payment lets shoppers pay without paying; for local trials only, never in a deployment !!!")
		}
	}
	if adm := admissionRoutes(fns); adm != "" {
		if err := cfg.AdmissionConfig.RequireSecret(); err != nil {
			log.Error(err.Error(), "routes", adm)
			return 1
		}
	}
	rdb, err := redislib.NewClient(rcfg)
	if err != nil {
		log.Error("redis client", "err", err)
		return 1
	}
	defer func() {
		if err := rdb.Close(); err != nil {
			log.Warn("close redis pool", "err", err)
			return
		}
		log.Info("redis pool closed")
	}()

	// ready: durability verified once (or not needed), and not shutting down.
	var started, stopping atomic.Bool
	ready := func() bool { return started.Load() && !stopping.Load() }
	fatal := make(chan string, 1)
	var watch *redislib.DurabilityWatch
	if writes(fns) {
		watch = redislib.NewDurabilityWatch(rdb)
		defer watch.Close()
		watchCtx, stopWatch := context.WithCancel(context.Background())
		defer stopWatch()
		go func() {
			// A watcher that panicked is started again: durability is never
			// left unwatched.
			for telemetry.Run(log, "durability watcher", func() {
				watchDurability(watchCtx, watch, cfg, rcfg.ReplicaAcks(), log, &started, fatal)
			}) && watchCtx.Err() == nil {
				time.Sleep(time.Second)
			}
		}()
	} else {
		started.Store(true)
	}
	tp, stopTracing, err := telemetry.StartTracing(log, rdb, "seckill-"+functionNames(fns), cfg.TracingConfig)
	if err != nil {
		log.Error("tracing", "err", err)
		return 1
	}
	defer stopTracing() // after the server stops: flushes the last spans
	if cfg.PprofAddr != "" {
		telemetry.StartPprof(cfg.PprofAddr, log)
	}
	store := redislib.NewStore(rdb, redislib.SoldOutBuyers(cfg.SoldOutBuyers),
		redislib.ReplicaAcks(rcfg.ReplicaAcks(), rcfg.ReplicaAckTimeout),
		redislib.OnPanic(func(where string, v any, stack []byte) {
			log.Error("panic in a background goroutine", "where", where, "panic", fmt.Sprint(v), "stack", string(stack))
		}))
	d := Deps{Store: store, Log: log, Config: cfg, Durability: watch}
	if tp != nil {
		d.TracerProvider = tp
	}
	app := NewApp(d, ready, fns...)
	bgCtx, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()
	StartBackground(bgCtx, d, fns...)

	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		log.Error("listen", "port", cfg.Port, "err", err)
		return 1
	}
	served := make(chan error, 1)
	go func() {
		if telemetry.Run(log, "server", func() { served <- app.Listener(ln) }) {
			served <- errors.New("the server panicked (logged above)")
		}
	}()
	log.Info("listening", "port", cfg.Port, "redis", rcfg.Addr, "cluster", rcfg.Cluster,
		"replica_acks", rcfg.ReplicaAcks(), "routes", routeCount(fns))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	code := 0
	select {
	case s := <-sig:
		log.Info("shutting down", "signal", s.String(), "timeout", cfg.ShutdownTimeout.String())
	case msg := <-fatal:
		log.Error(msg)
		code = 1
	case err := <-served:
		log.Error("server stopped", "err", err)
		return 1
	}
	stopping.Store(true)
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		log.Error("shutdown", "err", err)
		code = 1
	}
	log.Info("stopped")
	return code
}

// env is every variable a function reads: its own and Redis's.
type env struct {
	Config
	RedisConfig
}

// RedisConfig is redislib.Config under a name that can be embedded beside Config.
type RedisConfig = redislib.Config

// watchDurability waits until Redis answers, then checks that it fsyncs every
// write (every node of a cluster). A Redis that is down is not fatal:
// requests get 503 until it answers. A Redis that is not durable at start
// is fatal unless ALLOW_NON_DURABLE_REDIS is set. A primary with fewer
// replicas than writes wait for (acks) is logged: its writes answer 503
// until they are back. Once started, it watches until ctx ends (see
// keepWatching).
func watchDurability(ctx context.Context, w *redislib.DurabilityWatch, cfg Config, acks int, log *slog.Logger, started *atomic.Bool, fatal chan<- string) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("durability watcher panicked and stopped", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	waiting := false
	for {
		err := checkOnce(ctx, w, cfg, log)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			log.Info("redis is durable: appendonly yes, appendfsync always", "replica_acks", acks)
			ctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
			if err := w.CheckReplicas(ctx, acks); err != nil {
				log.Warn("redis replicas", "err", err)
			}
			cancel()
		case sale.ErrorCode(err) == sale.CodeStoreUnavailable:
			if !waiting {
				log.Warn("redis does not answer yet; requests get 503 until it does", "err", err)
				waiting = true
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
			continue
		case cfg.AllowNonDurableRedis:
			log.Warn("!!! ALLOW_NON_DURABLE_REDIS is set: serving although durability is not guaranteed; a crash can lose sales already confirmed to users !!!", "reason", err.Error())
		case errors.Is(err, redislib.ErrConfigUnavailable):
			fatal <- err.Error() + "; refusing to serve (set ALLOW_NON_DURABLE_REDIS=true if the server is known to be durable)"
			return
		default:
			fatal <- err.Error() + "; refusing to serve (fix the Redis config, or set ALLOW_NON_DURABLE_REDIS=true to accept losing confirmed sales on a crash)"
			return
		}
		started.Store(true)
		keepWatching(ctx, w, cfg, log, err)
		return
	}
}

// keepWatching checks Redis's durability every DURABILITY_CHECK_INTERVAL and
// at once after a reconnect or a failover (w.Kicks), until ctx ends. last is
// the outcome of the check before. Each change is logged: losing durability
// as an error naming the node and the setting (writes then answer 503
// not_durable, see durableWrites), regaining it as info. A Redis that does
// not answer changes nothing: the watch keeps its last verdict, and requests
// meet the failure themselves.
func keepWatching(ctx context.Context, w *redislib.DurabilityWatch, cfg Config, log *slog.Logger, last error) {
	// kickGap bounds how often reconnects trigger checks: a pool that dials
	// many connections at once is one reconnect.
	const kickGap = 100 * time.Millisecond
	tick := time.NewTicker(cfg.DurabilityCheckInterval)
	defer tick.Stop()
	silent := false // a failed check was logged
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.Kicks():
			select {
			case <-ctx.Done():
				return
			case <-time.After(kickGap):
			}
		}
		err := checkOnce(ctx, w, cfg, log)
		switch {
		case ctx.Err() != nil:
			return
		case sale.ErrorCode(err) == sale.CodeStoreUnavailable:
			if !silent {
				log.Warn("durability check: redis does not answer; the last verdict stands", "durable", w.Durable(), "err", err)
				silent = true
			}
			continue
		case err != nil && (last == nil || err.Error() != last.Error()):
			if cfg.AllowNonDurableRedis {
				log.Warn("!!! redis is not durable; ALLOW_NON_DURABLE_REDIS is set, so writes go on and a crash can lose sales already confirmed to users !!!", "reason", err.Error())
			} else {
				log.Error("redis is not durable: writes answer 503 not_durable and /readyz 503 until it is", "reason", err.Error())
			}
		case err == nil && last != nil:
			log.Info("redis is durable again: appendonly yes, appendfsync always; writes are accepted")
		}
		silent, last = false, err
	}
}

// checkOnce runs one durability check within REQUEST_TIMEOUT. A panic in it
// is logged and reported as a store failure: the watcher goes on.
func checkOnce(ctx context.Context, w *redislib.DurabilityWatch, cfg Config, log *slog.Logger) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("durability check panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = sale.Errorf(sale.CodeStoreUnavailable, "durability check panicked: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	defer cancel()
	return w.Check(ctx)
}

// printUsage writes the configuration variables and the routes of fns.
func printUsage(w io.Writer, fns []Function) {
	fmt.Fprintf(w, "seckill function %q: ", functionNames(fns))
	if len(fns) == 1 {
		fmt.Fprintln(w, fns[0].Summary)
	} else {
		fmt.Fprintln(w, "every function on one port (local development)")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 1, 0, 4, ' ', 0)
	fmt.Fprintln(w, "Configuration comes from these environment variables:")
	fmt.Fprintln(w)
	writeEnvTable(tw, &env{})
	_ = tw.Flush()
	fmt.Fprintln(w, "\nFlags: -h, --help prints this; -healthcheck exits 0 when the function on PORT answers 200 on /readyz.")
	fmt.Fprintln(w, "\nRoutes:")
	tw = tabwriter.NewWriter(w, 1, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  GET\t/livez\tliveness")
	fmt.Fprintln(tw, "  GET\t/readyz\treadiness: durability of Redis verified at start and not lost since, not shutting down")
	fmt.Fprintln(tw, "  GET\t/metrics\tPrometheus metrics")
	for _, fn := range fns {
		for _, r := range fn.Routes {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Method, r.Path, routeNotes(r))
		}
	}
	_ = tw.Flush()
}

func adminRoutes(fns []Function) string {
	s := ""
	for _, fn := range fns {
		for _, r := range fn.Routes {
			if r.Admin {
				if s != "" {
					s += ", "
				}
				s += r.Method + " " + r.Path
			}
		}
	}
	return s
}

// paymentRoutes lists the routes of fns that confirm payments.
func paymentRoutes(fns []Function) string {
	var s []string
	for _, fn := range fns {
		for _, r := range fn.Routes {
			if r.Payment {
				s = append(s, r.Method+" "+r.Path)
			}
		}
	}
	return strings.Join(s, ", ")
}

// admissionRoutes lists the routes of fns that issue or verify admission
// tokens.
func admissionRoutes(fns []Function) string {
	var s []string
	for _, fn := range fns {
		for _, r := range fn.Routes {
			if r.Admission {
				s = append(s, r.Method+" "+r.Path)
			}
		}
	}
	return strings.Join(s, ", ")
}

func writes(fns []Function) bool {
	for _, fn := range fns {
		if fn.Writes {
			return true
		}
	}
	return false
}

func routeCount(fns []Function) int {
	n := 0
	for _, fn := range fns {
		n += len(fn.Routes)
	}
	return n
}

// routeNotes says who may call a route and whether it is rate limited.
func routeNotes(r Route) string {
	var notes []string
	switch {
	case r.Admin:
		notes = append(notes, "admin")
	case r.Payment:
		notes = append(notes, "payment service (signed, see PAYMENT_WEBHOOK_SECRET)")
	case r.forUser() && r.AdminActsForUser:
		notes = append(notes, "user (bearer JWT unless USER_AUTH=off) or admin")
	case r.forUser():
		notes = append(notes, "user (bearer JWT unless USER_AUTH=off)")
	}
	if r.RateLimited {
		notes = append(notes, "rate-limited")
	}
	return strings.Join(notes, ", ")
}
