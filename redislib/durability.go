package redislib

import (
	"context"
	"errors"
	"fmt"
	"seckill/redislib/sale"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ErrConfigUnavailable means the server refused CONFIG GET (managed Redis
// often renames or disables it), so durability could not be verified.
var ErrConfigUnavailable = fmt.Errorf("CONFIG GET is disabled on this Redis, durability cannot be verified")

// CheckDurability asks Redis whether every acknowledged write is on disk:
// appendonly yes and appendfsync always. On a cluster it asks every node
// CLUSTER NODES lists, primaries and replicas alike (a replica becomes the
// primary at failover, with its own settings), except nodes marked failed.
// It returns nil when they are, an error naming each offending node and
// setting when not, ErrConfigUnavailable when a server will not say, and a
// store_unavailable *Error when a node does not answer.
func CheckDurability(ctx context.Context, rdb redis.UniversalClient) error {
	cluster, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return checkNodeDurability(ctx, rdb, "redis")
	}
	// CLUSTER NODES rather than the client's slot map: CLUSTER SLOTS leaves
	// out a replica that has not replicated anything yet.
	text, err := cluster.ClusterNodes(ctx).Result()
	if err != nil {
		return storeErr(err)
	}
	var bad []string
	var noConfig error
	for _, addr := range clusterNodeAddrs(text) {
		node := nodeClient(cluster.Options(), addr)
		err := checkNodeDurability(ctx, node, "redis node "+addr)
		_ = node.Close()
		switch {
		case err == nil:
		case sale.ErrorCode(err) != "":
			return err
		case errors.Is(err, ErrConfigUnavailable):
			noConfig = err
		default:
			bad = append(bad, err.Error())
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return errors.New(strings.Join(bad, "; "))
	}
	return noConfig
}

// clusterNodeAddrs returns the host:port of every node in a CLUSTER NODES
// reply that is not marked failed or without an address.
func clusterNodeAddrs(text string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || strings.Contains(f[2], "fail") || strings.Contains(f[2], "noaddr") {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@") // host:port@bus-port[,hostname]
		out = append(out, addr)
	}
	sort.Strings(out)
	return out
}

// nodeClient is a client of one cluster node with the cluster client's
// credentials, TLS and timeouts: a one-connection probe, closed by its user.
func nodeClient(o *redis.ClusterOptions, addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		PoolSize: 1, MaxRetries: -1, ContextTimeoutEnabled: true})
}

// checkNodeDurability is CheckDurability for one server; name says which in
// the error.
func checkNodeDurability(ctx context.Context, rdb redis.Cmdable, name string) error {
	got := map[string]string{}
	for _, param := range []string{"appendonly", "appendfsync"} {
		m, err := rdb.ConfigGet(ctx, param).Result()
		if err != nil {
			if unavailable(err) {
				return storeErr(err)
			}
			return fmt.Errorf("%w: %v", ErrConfigUnavailable, err)
		}
		got[param] = m[param]
	}
	if strings.EqualFold(got["appendonly"], "yes") && strings.EqualFold(got["appendfsync"], "always") {
		return nil
	}
	return fmt.Errorf("%s is not durable: appendonly=%q appendfsync=%q, want appendonly=yes appendfsync=always", name, got["appendonly"], got["appendfsync"])
}

// checkReplicas reports the primaries that have fewer than n replicas
// connected: with REDIS_MIN_REPLICA_ACKS n, every write on them answers 503
// until replicas are back (durability before availability). It returns nil
// when every primary has n, and a store_unavailable *Error when a node does
// not answer.
func checkReplicas(ctx context.Context, rdb redis.UniversalClient, n int) error {
	if n <= 0 {
		return nil
	}
	var mu sync.Mutex
	var short []string
	check := func(ctx context.Context, node redis.Cmdable, name string) error {
		info, err := node.Info(ctx, "replication").Result()
		if err != nil {
			return storeErr(err)
		}
		got := 0
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "connected_slaves:"); ok {
				got, _ = strconv.Atoi(v)
			}
		}
		if got < n {
			mu.Lock()
			short = append(short, fmt.Sprintf("%s has %d replicas", name, got))
			mu.Unlock()
		}
		return nil
	}
	var err error
	if cluster, ok := rdb.(*redis.ClusterClient); ok {
		err = cluster.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return check(ctx, node, "primary "+node.Options().Addr)
		})
	} else {
		err = check(ctx, rdb, "redis")
	}
	if err != nil {
		return storeErr(err)
	}
	if len(short) > 0 {
		sort.Strings(short)
		return fmt.Errorf("writes need %d replica acknowledgements (REDIS_MIN_REPLICA_ACKS) and answer 503 until each primary has them: %s",
			n, strings.Join(short, "; "))
	}
	return nil
}
