package redislib_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/redistest"
)

// The store's tests run on each backend named in REDISLIB_BACKENDS
// (default "single,cluster"): the whole package once on a private
// redis-server per test, once on one Redis Cluster of three primaries and
// three replicas shared by the package (started once, about 3 s). Each test
// gets its Redis from start, never shared with a test running at the same
// time (none calls t.Parallel); tests of one server's process (killing,
// pausing or restarting it, reading its AOF) call singleOnly, and the
// cluster's own failures are tested in cluster_test.go.
func TestMain(m *testing.M) {
	names := os.Getenv("REDISLIB_BACKENDS")
	if names == "" {
		names = "single,cluster"
	}
	code := 0
	for _, name := range strings.Split(names, ",") {
		switch name = strings.TrimSpace(name); name {
		case "single":
			current = name
			fmt.Println("== redislib: the tests on one redis-server per test")
			code = max(code, m.Run())
		case "cluster":
			c, stop, err := redistest.SharedCluster()
			if err != nil {
				fmt.Fprintf(os.Stderr, "REDISLIB_BACKENDS=cluster: %v\n", err)
				code = 1
				continue
			}
			current, cluster = name, c
			fmt.Println("== redislib: the tests on Redis Cluster", c.Addrs())
			code = max(code, m.Run())
			stop()
			cluster = nil
		default:
			fmt.Fprintf(os.Stderr, "REDISLIB_BACKENDS: unknown backend %q (single, cluster)\n", name)
			code = 2
		}
	}
	os.Exit(code)
}

// current is the backend of this pass; cluster its cluster, when it is one.
var (
	current string
	cluster *redistest.Cluster
)

// backend is what a test gets its Redis from.
type backend interface {
	// Client returns a client as the functions' Redis user, closed when
	// the test ends.
	Client(t testing.TB) redis.UniversalClient
	// AdminClient returns a client that may run every command (FLUSHALL,
	// SCRIPT FLUSH, ...), closed when the test ends.
	AdminClient(t testing.TB) redis.UniversalClient
	// Store returns a store with a client of its own and the backend's
	// replica acknowledgements.
	Store(t testing.TB, opts ...redislib.Option) *redislib.Store
}

// start returns the Redis of this pass: a new private redis-server, or the
// shared cluster emptied (FLUSHALL on every primary), as fresh as a new
// server: the package's tests run one at a time, and some count what jobs
// find across every activity.
func start(t testing.TB) backend {
	t.Helper()
	if current == "cluster" {
		err := cluster.AdminClient(t).ForEachMaster(context.Background(), func(ctx context.Context, c *redis.Client) error {
			return c.FlushAll(ctx).Err()
		})
		if err != nil {
			t.Fatalf("empty the shared cluster: %v", err)
		}
		return clusterBackend{cluster}
	}
	return singleBackend{redistest.Start(t)}
}

// singleOnly skips the test in the cluster pass, saying why: it tests one
// server's process (killing, pausing or restarting it), which the cluster
// pass does not share. It runs in the single pass.
func singleOnly(t testing.TB, why string) {
	t.Helper()
	if current == "cluster" {
		t.Skipf("single-node test (%s); it runs in the single pass", why)
	}
}

type singleBackend struct{ *redistest.Server }

func (b singleBackend) Client(t testing.TB) redis.UniversalClient { return b.Server.Client(t) }

func (b singleBackend) AdminClient(t testing.TB) redis.UniversalClient {
	return b.Server.AdminClient(t)
}

func (b singleBackend) Store(t testing.TB, opts ...redislib.Option) *redislib.Store {
	return redislib.NewStore(b.Server.Client(t), opts...)
}

type clusterBackend struct{ *redistest.Cluster }

func (b clusterBackend) Client(t testing.TB) redis.UniversalClient { return b.Cluster.Client(t) }

func (b clusterBackend) AdminClient(t testing.TB) redis.UniversalClient {
	return b.Cluster.AdminClient(t)
}

func (b clusterBackend) Store(t testing.TB, opts ...redislib.Option) *redislib.Store {
	cfg := b.Config()
	opts = append([]redislib.Option{redislib.ReplicaAcks(cfg.ReplicaAcks(), cfg.ReplicaAckTimeout)}, opts...)
	return redislib.NewStore(b.Cluster.Client(t), opts...)
}
