package redislib

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config is how to reach Redis. It is read from the environment with
// envconfig, so every field is one REDIS_* variable.
type Config struct {
	Addr     string `envconfig:"REDIS_ADDR" default:"127.0.0.1:6379" desc:"Redis host:port"`
	Username string `envconfig:"REDIS_USERNAME" desc:"Redis ACL user (empty: default user)"`
	Password string `envconfig:"REDIS_PASSWORD" desc:"Redis password (never logged)"`
	DB       int    `envconfig:"REDIS_DB" default:"0" desc:"Redis database number"`

	TLS           bool   `envconfig:"REDIS_TLS" default:"false" desc:"connect to Redis over TLS"`
	TLSCAFile     string `envconfig:"REDIS_TLS_CA_FILE" desc:"PEM file of CAs to trust for Redis TLS (empty: system roots)"`
	TLSServerName string `envconfig:"REDIS_TLS_SERVER_NAME" desc:"server name to verify for Redis TLS (empty: host of REDIS_ADDR)"`

	// Timeout bounds every single Redis call: dialling, reading, writing and
	// waiting for a pooled connection. A request never waits longer for Redis.
	Timeout  time.Duration `envconfig:"REDIS_TIMEOUT" default:"2s" desc:"bound on each Redis call (dial, read, write, pool wait)"`
	PoolSize int           `envconfig:"REDIS_POOL_SIZE" default:"0" desc:"connections per process (0: 10 per CPU)"`
}

// NewClient returns a client for cfg. It does not connect: the first command
// does, so a function can start while Redis is still down.
//
// Retries are off: a purchase, a stock change or a payment that timed out may
// have been applied, so the caller answers 503 and lets the client decide,
// rather than the library repeating a write blindly.
func NewClient(cfg Config) (*redis.Client, error) {
	opts := &redis.Options{
		Addr:                  cfg.Addr,
		Username:              cfg.Username,
		Password:              cfg.Password,
		DB:                    cfg.DB,
		DialTimeout:           cfg.Timeout,
		ReadTimeout:           cfg.Timeout,
		WriteTimeout:          cfg.Timeout,
		PoolTimeout:           cfg.Timeout,
		PoolSize:              cfg.PoolSize,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
	}
	if cfg.TLS {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TLSServerName}
		if cfg.TLSCAFile != "" {
			pem, err := os.ReadFile(cfg.TLSCAFile)
			if err != nil {
				return nil, fmt.Errorf("read REDIS_TLS_CA_FILE: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("REDIS_TLS_CA_FILE %s holds no PEM certificate", cfg.TLSCAFile)
			}
		}
		opts.TLSConfig = tc
	}
	return redis.NewClient(opts), nil
}
