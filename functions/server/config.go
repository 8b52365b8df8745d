package server

import (
	"time"

	"seckill/functions/auth"
	"seckill/functions/telemetry"
	"seckill/redislib"
)

// Config is the part of a function's configuration that is not about Redis
// (redislib.Config is read beside it). Every field is one environment variable.
type Config struct {
	Port       int    `envconfig:"PORT" default:"8080" desc:"HTTP port"`
	AdminToken string `envconfig:"ADMIN_TOKEN" desc:"bearer token for admin routes; required by functions that serve any (never logged)"`
	// AllowNonDurableRedis lets a writing function serve on a Redis without
	// appendonly yes / appendfsync always, with a loud warning.
	AllowNonDurableRedis bool `envconfig:"ALLOW_NON_DURABLE_REDIS" default:"false" desc:"serve even if Redis does not fsync every write (loses acknowledged sales on a crash)"`
	// DurabilityCheckInterval is how often a writing function asks Redis
	// whether it is still durable (and how full it is); it also asks after
	// every reconnect and failover.
	DurabilityCheckInterval time.Duration `envconfig:"DURABILITY_CHECK_INTERVAL" default:"2s" desc:"how often a writing function checks that Redis still fsyncs every write (also after every reconnect); while it does not, writes answer 503 not_durable"`
	RequestTimeout          time.Duration `envconfig:"REQUEST_TIMEOUT" default:"2s" desc:"bound on the store work of one request; past it the answer is 503 store_unavailable"`
	ShutdownTimeout         time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"10s" desc:"on SIGTERM, how long in-flight requests may take to finish"`
	BodyLimit               int           `envconfig:"BODY_LIMIT" default:"16384" desc:"largest request body in bytes; larger is 413 body_too_large"`
	LogLevel                string        `envconfig:"LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	LogSample               int           `envconfig:"LOG_SAMPLE" default:"100" desc:"log one in N of the routine requests (answered purchase attempts, won or lost) answered fast and without error; 1 logs every request"`

	SoldOutBuyers int `envconfig:"SOLD_OUT_BUYERS" default:"200000" desc:"most buyers kept in memory to answer attempts on sold-out activities without Redis (about 100 bytes each); an activity with more is answered by Redis; 0: off"`

	// User authentication: on unless USER_AUTH=off, with a JWKS URL, a public key or a secret.
	auth.TokenConfig
	// Payment confirmations: the webhook secret, its replay window, the shop's currency, demo payments.
	auth.PaymentConfig
	// Rate limits of rate-limited routes (purchase), shared by every instance through Redis.
	auth.RateLimitConfig
	// Behind a load balancer, the client IP comes from a header set by a trusted proxy.
	ProxyHeader    string   `envconfig:"PROXY_HEADER" desc:"header holding the client IP, e.g. X-Forwarded-For; honoured only from TRUSTED_PROXIES"`
	TrustedProxies []string `envconfig:"TRUSTED_PROXIES" desc:"comma-separated IPs or CIDRs of the proxies whose PROXY_HEADER is trusted"`
	PprofAddr      string   `envconfig:"PPROF_ADDR" desc:"serve the Go profiler on this address, e.g. 127.0.0.1:6060 (empty: off; never expose it)"`

	// ConsolePrometheusURL is where the sale console reads the request rates
	// of every instance; empty: from its own process's /metrics.
	ConsolePrometheusURL string `envconfig:"CONSOLE_PROMETHEUS_URL" desc:"Prometheus server the sale console reads every instance's purchase rates from, e.g. http://prometheus:9090 (empty: the console's own process, right for the all-in-one server)"`

	// Traces over OTLP/HTTP: off unless an endpoint is set.
	telemetry.TracingConfig
}

// TestWebhookSecret is the payment webhook secret of TestConfig.
const TestWebhookSecret = "test-payment-webhook-secret-0123456789abcdef"

// TestConfig returns the defaults with an admin token and TestWebhookSecret,
// for tests.
func TestConfig(adminToken string) Config {
	return Config{
		// A generous request timeout: on a loaded test machine a slow answer is
		// not a store failure. Tests of timeouts set their own.
		Port: 8080, AdminToken: adminToken, RequestTimeout: 10 * time.Second,
		ShutdownTimeout: 10 * time.Second, DurabilityCheckInterval: 2 * time.Second, BodyLimit: 16384, LogLevel: "info", LogSample: 1,
		SoldOutBuyers: redislib.DefaultSoldOutBuyers,
		// User authentication off, as tests of everything else need; tests
		// of it set a key and USER_AUTH back to on.
		TokenConfig:     auth.TokenConfig{UserAuth: auth.UserAuthOff, UserTokenCache: auth.DefaultUserTokenCache},
		RateLimitConfig: auth.RateLimitConfig{RateLimitUserRPS: 5, RateLimitUserBurst: 10, RateLimitReadRPS: 20, RateLimitReadBurst: 40, RateLimitIPBurst: 100},
		PaymentConfig: auth.PaymentConfig{PaymentWebhookSecret: TestWebhookSecret, PaymentWebhookTolerance: 5 * time.Minute,
			PaymentCurrency: "USD"},
	}
}
