package redislib

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config is how to reach Redis. It is read from the environment with
// envconfig, so every field is one REDIS_* variable.
type Config struct {
	Addr     string `envconfig:"REDIS_ADDR" default:"127.0.0.1:6379" desc:"Redis host:port; with REDIS_CLUSTER, comma-separated seed nodes host:port,host:port,..."`
	Cluster  bool   `envconfig:"REDIS_CLUSTER" default:"false" desc:"REDIS_ADDR is a Redis Cluster (its seed nodes)"`
	Username string `envconfig:"REDIS_USERNAME" desc:"Redis ACL user (empty: default user)"`
	Password string `envconfig:"REDIS_PASSWORD" desc:"Redis password (never logged)"`
	DB       int    `envconfig:"REDIS_DB" default:"0" desc:"Redis database number (0 on a cluster)"`

	TLS           bool   `envconfig:"REDIS_TLS" default:"false" desc:"connect to Redis over TLS"`
	TLSCAFile     string `envconfig:"REDIS_TLS_CA_FILE" desc:"PEM file of CAs to trust for Redis TLS (empty: system roots)"`
	TLSServerName string `envconfig:"REDIS_TLS_SERVER_NAME" desc:"server name to verify for Redis TLS (empty: host of REDIS_ADDR)"`

	// Timeout bounds every single Redis call: dialling, reading, writing and
	// waiting for a pooled connection. A request never waits longer for Redis.
	Timeout  time.Duration `envconfig:"REDIS_TIMEOUT" default:"2s" desc:"bound on each Redis call (dial, read, write, pool wait)"`
	PoolSize int           `envconfig:"REDIS_POOL_SIZE" default:"0" desc:"connections per process (0: 10 per CPU; on a cluster, per node)"`

	// MinReplicaAcks is how many replicas must have received a write before
	// it is acknowledged (WAIT after the write). Replication is asynchronous:
	// without it, a win acknowledged by a primary that dies before its
	// replica received it is lost at failover.
	MinReplicaAcks int `envconfig:"REDIS_MIN_REPLICA_ACKS" default:"-1" desc:"replicas that must have received a write before it is acknowledged, else 503 (-1: 1 on a cluster, 0 on one node)"`
	// ReplicaAckTimeout bounds that wait; it must be shorter than a request.
	ReplicaAckTimeout time.Duration `envconfig:"REDIS_REPLICA_ACK_TIMEOUT" default:"500ms" desc:"how long a write waits for REDIS_MIN_REPLICA_ACKS replicas before answering 503"`
}

// Addrs returns the addresses of REDIS_ADDR: one, or the seed nodes of a
// cluster.
func (cfg Config) Addrs() []string {
	var out []string
	for _, a := range strings.Split(cfg.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// ReplicaAcks returns how many replicas a write waits for: MinReplicaAcks,
// or with -1 (auto) 1 on a cluster and 0 on a single node.
func (cfg Config) ReplicaAcks() int {
	if cfg.MinReplicaAcks >= 0 {
		return cfg.MinReplicaAcks
	}
	if cfg.Cluster {
		return 1
	}
	return 0
}

// Check reports the first setting that cannot work. requestTimeout is the
// bound on one request's store work: the replica wait must fit in it.
func (cfg Config) Check(requestTimeout time.Duration) error {
	addrs := cfg.Addrs()
	switch {
	case len(addrs) == 0:
		return errors.New("REDIS_ADDR is empty")
	case len(addrs) > 1 && !cfg.Cluster:
		return errors.New("REDIS_ADDR lists several addresses: set REDIS_CLUSTER=true for a Redis Cluster")
	case cfg.Cluster && cfg.DB != 0:
		return errors.New("REDIS_DB must be 0 on a Redis Cluster (it has only database 0)")
	case cfg.Timeout <= 0:
		return errors.New("REDIS_TIMEOUT must be positive")
	case cfg.PoolSize < 0:
		return errors.New("REDIS_POOL_SIZE must be 0 (default) or positive")
	case cfg.MinReplicaAcks < -1:
		return errors.New("REDIS_MIN_REPLICA_ACKS must be -1 (auto), 0 or positive")
	case cfg.ReplicaAcks() > 0 && cfg.ReplicaAckTimeout <= 0:
		return errors.New("REDIS_REPLICA_ACK_TIMEOUT must be positive")
	case cfg.ReplicaAcks() > 0 && requestTimeout > 0 && cfg.ReplicaAckTimeout >= requestTimeout:
		return fmt.Errorf("REDIS_REPLICA_ACK_TIMEOUT (%s) must be shorter than REQUEST_TIMEOUT (%s): a write waits for it within the request", cfg.ReplicaAckTimeout, requestTimeout)
	}
	return nil
}

// NewClient returns a client for cfg: a *redis.Client for one server, a
// *redis.ClusterClient with REDIS_CLUSTER. It does not connect: the first
// command does, so a function can start while Redis is still down.
//
// Retries are off: a purchase, a stock change or a payment that timed out may
// have been applied, so the caller answers 503 and lets the client decide,
// rather than the library repeating a write blindly. On a cluster, MOVED and
// ASK redirections are still followed (the command did not run), and the
// slot map is reloaded every second, so that a replica promoted after a
// failover is used within about a second of the cluster electing it.
func NewClient(cfg Config) (redis.UniversalClient, error) {
	var tc *tls.Config
	if cfg.TLS {
		tc = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TLSServerName}
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
	}
	if cfg.Cluster {
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:                      cfg.Addrs(),
			Username:                   cfg.Username,
			Password:                   cfg.Password,
			DialTimeout:                cfg.Timeout,
			ReadTimeout:                cfg.Timeout,
			WriteTimeout:               cfg.Timeout,
			PoolTimeout:                cfg.Timeout,
			PoolSize:                   cfg.PoolSize,
			ContextTimeoutEnabled:      true,
			MaxRetries:                 -1,
			MaxRedirects:               3,
			ClusterStateReloadInterval: time.Second,
			TLSConfig:                  tc,
		}), nil
	}
	return redis.NewClient(&redis.Options{
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
		TLSConfig:             tc,
	}), nil
}
