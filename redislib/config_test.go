package redislib_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
)

func TestConfigCheck(t *testing.T) {
	ok := redislib.Config{Addr: "127.0.0.1:7000", Timeout: 2 * time.Second, MinReplicaAcks: -1, ReplicaAckTimeout: 500 * time.Millisecond}
	cluster := ok
	cluster.Cluster, cluster.Addr = true, "127.0.0.1:7000, 127.0.0.1:7001,127.0.0.1:7002"
	tests := []struct {
		name    string
		edit    func(*redislib.Config)
		base    redislib.Config
		wantErr string // "" when valid
	}{
		{name: "single node", base: ok},
		{name: "cluster", base: cluster},
		{name: "empty address", base: ok, edit: func(c *redislib.Config) { c.Addr = " , " }, wantErr: "REDIS_ADDR is empty"},
		{name: "seeds without cluster", base: ok, edit: func(c *redislib.Config) { c.Addr = "a:1,b:2" }, wantErr: "REDIS_CLUSTER"},
		{name: "cluster with a DB", base: cluster, edit: func(c *redislib.Config) { c.DB = 2 }, wantErr: "REDIS_DB must be 0"},
		{name: "acks below -1", base: ok, edit: func(c *redislib.Config) { c.MinReplicaAcks = -2 }, wantErr: "REDIS_MIN_REPLICA_ACKS"},
		{name: "ack timeout not below the request timeout", base: cluster,
			edit: func(c *redislib.Config) { c.ReplicaAckTimeout = 2 * time.Second }, wantErr: "shorter than REQUEST_TIMEOUT"},
		{name: "ack timeout unused on one node", base: ok, edit: func(c *redislib.Config) { c.ReplicaAckTimeout = 5 * time.Second }},
		{name: "zero ack timeout", base: ok, edit: func(c *redislib.Config) { c.MinReplicaAcks, c.ReplicaAckTimeout = 1, 0 },
			wantErr: "REDIS_REPLICA_ACK_TIMEOUT must be positive"},
		{name: "zero timeout", base: ok, edit: func(c *redislib.Config) { c.Timeout = 0 }, wantErr: "REDIS_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.base
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			err := cfg.Check(2 * time.Second)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Check: %v, want valid", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Check: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigReplicaAcksAndClient(t *testing.T) {
	tests := []struct {
		name     string
		cfg      redislib.Config
		wantAcks int
		cluster  bool
	}{
		{name: "single auto", cfg: redislib.Config{Addr: "127.0.0.1:7000", MinReplicaAcks: -1}, wantAcks: 0},
		{name: "cluster auto", cfg: redislib.Config{Addr: "127.0.0.1:7000,127.0.0.1:7001", Cluster: true, MinReplicaAcks: -1}, wantAcks: 1, cluster: true},
		{name: "cluster none", cfg: redislib.Config{Addr: "127.0.0.1:7000", Cluster: true, MinReplicaAcks: 0}, wantAcks: 0, cluster: true},
		{name: "single two", cfg: redislib.Config{Addr: "127.0.0.1:7000", MinReplicaAcks: 2}, wantAcks: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.ReplicaAcks(); got != tt.wantAcks {
				t.Errorf("ReplicaAcks = %d, want %d", got, tt.wantAcks)
			}
			rdb, err := redislib.NewClient(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			cc, isCluster := rdb.(*redis.ClusterClient)
			if isCluster != tt.cluster {
				t.Fatalf("NewClient gave a %T", rdb)
			}
			if isCluster {
				o := cc.Options()
				if o.ClusterStateReloadInterval != time.Second || o.MaxRetries != -1 || o.MaxRedirects < 1 || len(o.Addrs) != len(tt.cfg.Addrs()) {
					t.Errorf("cluster options: reload %s, retries %d, redirects %d, addrs %v",
						o.ClusterStateReloadInterval, o.MaxRetries, o.MaxRedirects, o.Addrs)
				}
			}
		})
	}
}
