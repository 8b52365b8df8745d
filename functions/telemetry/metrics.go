package telemetry

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"seckill/redislib"
)

// Metrics are one app's Prometheus collectors on a registry of its own (no
// global state: every app, and so every test, counts only its own requests).
// Handler serves the registry at GET /metrics.
type Metrics struct {
	registry *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	outcomes *prometheus.CounterVec
	errors   *prometheus.CounterVec
	// Panics counts the panics recovered in request handlers (httpapi.Recover).
	Panics prometheus.Counter
	// expiryDone is the Unix time in nanoseconds of the last run of the
	// order-expiry job that ended without error (0: none yet).
	expiryDone atomic.Int64
}

// latencyBuckets are in seconds: fine below 20 ms, where a purchase should
// answer, and up to the default 2 s request timeout.
var latencyBuckets = []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5}

// NewMetrics returns the metrics of one app: requests and latency by route,
// method and status; business outcomes (SetOutcome) by route; error answers
// by route and code; recovered panics, in handlers and in the store's
// background goroutines; the Redis connection pool of store
// (when not nil); and the Go runtime and process collectors.
func NewMetrics(store *redislib.Store) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seckill_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "seckill_http_request_duration_seconds",
			Help:    "Time from receiving a request to its response being ready, by route pattern, method and status.",
			Buckets: latencyBuckets,
		}, []string{"route", "method", "status"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seckill_outcomes_total",
			Help: "Business outcomes by route: for purchases won, already_won, order_closed, sold_out, not_started, ended, cancelled.",
		}, []string{"route", "outcome"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seckill_errors_total",
			Help: "Error answers by route and error code; store failures are store_unavailable (Redis down, slow or refusing) and internal (an unexpected Redis or script reply).",
		}, []string{"route", "code"}),
		Panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "seckill_panics_total",
			Help: "Panics recovered in request handlers; each answered 500 internal and was logged with its stack.",
		}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.outcomes, m.errors, m.Panics,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if store != nil {
		m.registry.MustRegister(poolCollector{store}, soldOutCollector{store})
		m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "seckill_background_panics_total",
			Help: "Panics recovered in the store's background goroutines (auto-pipeline, sold-out lease renewals, memory sweeper); each was logged with its stack.",
		}, func() float64 { return float64(store.Panics()) }))
	}
	m.registry.MustRegister(expiryCollector{m})
	return m
}

// MustRegister adds collectors of a function's own to the app's registry;
// it panics on a collector whose metrics are already registered.
func (m *Metrics) MustRegister(cs ...prometheus.Collector) { m.registry.MustRegister(cs...) }

// ExpireOrdersSucceeded records that a run of the order-expiry job ended
// without error, for the alert on a late job.
func (m *Metrics) ExpireOrdersSucceeded() { m.expiryDone.Store(time.Now().UnixNano()) }

// expiryCollector exposes the time of the order-expiry job's last run that
// ended without error. An instance that has run none exports nothing, so a
// function that serves no job, or has not served it yet, adds no series;
// the alert takes the latest over every instance and over a window, which a
// restart or a scale to zero does not reset.
type expiryCollector struct{ m *Metrics }

var expiryLast = prometheus.NewDesc("seckill_expire_orders_last_success_timestamp_seconds",
	"Unix time at which this instance's last run of the order-expiry job (POST /jobs/expire-orders) ended without error.", nil, nil)

func (expiryCollector) Describe(ch chan<- *prometheus.Desc) { ch <- expiryLast }

func (c expiryCollector) Collect(ch chan<- prometheus.Metric) {
	if ns := c.m.expiryDone.Load(); ns != 0 {
		ch <- prometheus.MustNewConstMetric(expiryLast, prometheus.GaugeValue, float64(ns)/1e9)
	}
}

// observe records one answered request.
func (m *Metrics) observe(route, method string, status int, elapsed time.Duration, outcome, code string) {
	s := strconv.Itoa(status)
	m.requests.WithLabelValues(route, method, s).Inc()
	m.duration.WithLabelValues(route, method, s).Observe(elapsed.Seconds())
	if outcome != "" {
		m.outcomes.WithLabelValues(route, outcome).Inc()
	}
	if code != "" {
		m.errors.WithLabelValues(route, code).Inc()
	}
}

// Handler serves the registry in the Prometheus text format (or OpenMetrics
// when the scraper asks for it).
func (m *Metrics) Handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
}

// poolCollector exposes the Redis client's connection pool statistics,
// read when scraped: the client's own pool and its pipeline pool (the store
// sends its scripts in pipelines) together, summed over every node of a
// cluster (ClusterClient.PoolStats sums them).
type poolCollector struct {
	rdb interface{ PoolStats() *redis.PoolStats }
}

var (
	poolHits     = poolDesc("hits_total", "Times a free connection was found in the pool.")
	poolMisses   = poolDesc("misses_total", "Times no free connection was in the pool and one was dialled or waited for.")
	poolTimeouts = poolDesc("timeouts_total", "Times waiting for a connection timed out (the request then failed with store_unavailable).")
	poolWaits    = poolDesc("waits_total", "Times a request waited for a connection.")
	poolWaitTime = poolDesc("wait_seconds_total", "Total time requests waited for a connection.")
	poolTotal    = poolDesc("connections", "Connections in the pool, idle or in use.")
	poolIdle     = poolDesc("idle_connections", "Idle connections in the pool.")
	poolStale    = poolDesc("stale_connections_total", "Stale connections removed from the pool.")
	poolPending  = poolDesc("pending_requests", "Requests waiting for a connection now.")
)

// PoolTotals returns the statistics of a client's own connection pool and of
// its pipeline pool added together.
func PoolTotals(s *redis.PoolStats) redis.PoolStats {
	t := *s
	if p := s.PipelineStats; p != nil {
		t.Hits += p.Hits
		t.Misses += p.Misses
		t.Timeouts += p.Timeouts
		t.WaitCount += p.WaitCount
		t.WaitDurationNs += p.WaitDurationNs
		t.TotalConns += p.TotalConns
		t.IdleConns += p.IdleConns
		t.StaleConns += p.StaleConns
		t.PendingRequests += p.PendingRequests
	}
	t.PipelineStats = nil
	return t
}

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("seckill_redis_pool_"+name, help, nil, nil)
}

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolHits, poolMisses, poolTimeouts, poolWaits, poolWaitTime, poolTotal, poolIdle, poolStale, poolPending} {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := PoolTotals(p.rdb.PoolStats())
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter(poolHits, float64(s.Hits))
	counter(poolMisses, float64(s.Misses))
	counter(poolTimeouts, float64(s.Timeouts))
	counter(poolWaits, float64(s.WaitCount))
	counter(poolWaitTime, time.Duration(s.WaitDurationNs).Seconds())
	gauge(poolTotal, float64(s.TotalConns))
	gauge(poolIdle, float64(s.IdleConns))
	counter(poolStale, float64(s.StaleConns))
	gauge(poolPending, float64(s.PendingRequests))
}

// soldOutCollector exposes the store's sold-out leases (answers from memory),
// read when scraped.
type soldOutCollector struct{ store *redislib.Store }

var (
	soldOutAnswers = prometheus.NewDesc("seckill_soldout_memory_answers_total",
		"Purchase attempts on sold-out activities answered from memory under a lease, without Redis.", nil, nil)
	soldOutBuyers = prometheus.NewDesc("seckill_soldout_leased_buyers",
		"Buyers held in memory by the sold-out leases (bounded by SOLD_OUT_BUYERS).", nil, nil)
)

func (soldOutCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- soldOutAnswers
	ch <- soldOutBuyers
}

func (c soldOutCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.store.SoldOutStats()
	ch <- prometheus.MustNewConstMetric(soldOutAnswers, prometheus.CounterValue, float64(s.Answers))
	ch <- prometheus.MustNewConstMetric(soldOutBuyers, prometheus.GaugeValue, float64(s.Buyers))
}
