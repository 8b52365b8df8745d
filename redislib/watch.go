package redislib

import (
	"context"
	"errors"
	"net"
	"seckill/redislib/sale"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// DurabilityWatch keeps what Redis last said about its durability and its
// memory, for readers that must not pay a round trip: a request asks
// Durable (one atomic load), a metrics scrape asks Memory. Check refreshes
// both; its caller (the process's watcher goroutine) runs it every few
// seconds and whenever Kicks delivers, which happens when the client dials a
// new connection (a reconnect, or the first connection to a primary promoted
// by a failover) or meets a new cluster node.
//
// Its own checks use clients of their own, one connection per node, so that
// a busy pool never delays them and they never count as reconnects.
type DurabilityWatch struct {
	rdb     redis.UniversalClient
	cluster *redis.ClusterClient

	durable atomic.Bool
	// checked is true once a check got an answer from every node.
	checked atomic.Bool
	memory  atomic.Pointer[[]NodeMemory]
	kicks   chan struct{}

	mu    sync.Mutex               // held by Check: one check at a time
	nodes map[string]*redis.Client // the check's clients, by node address
}

// NodeMemory is one node's INFO memory: used_memory and maxmemory in bytes
// (Max 0: no limit).
type NodeMemory struct {
	Node string
	Used int64
	Max  int64
}

// NewDurabilityWatch returns a watch of rdb's durability that reports
// nothing durable until its first Check, and hooks rdb so that every new
// connection or cluster node delivers on Kicks. Close releases its clients.
func NewDurabilityWatch(rdb redis.UniversalClient) *DurabilityWatch {
	w := &DurabilityWatch{rdb: rdb, kicks: make(chan struct{}, 1), nodes: map[string]*redis.Client{}}
	hook := dialKick{w}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		w.cluster = c
		c.OnNewNode(func(node *redis.Client) {
			node.AddHook(hook)
			w.Kick()
		})
	case *redis.Client:
		c.AddHook(hook)
	}
	return w
}

// Durable reports whether the last check that got an answer found every
// node with appendonly yes and appendfsync always; false before the first.
func (w *DurabilityWatch) Durable() bool { return w.durable.Load() }

// Checked reports whether any check has got an answer yet.
func (w *DurabilityWatch) Checked() bool { return w.checked.Load() }

// Memory returns the INFO memory of every node as of the last check that
// got one, sorted by node; nil before.
func (w *DurabilityWatch) Memory() []NodeMemory {
	if m := w.memory.Load(); m != nil {
		return *m
	}
	return nil
}

// Kicks delivers when a check should run at once: a new connection was
// dialled or a new cluster node appeared. Deliveries coalesce.
func (w *DurabilityWatch) Kicks() <-chan struct{} { return w.kicks }

// Kick asks for a check at once, without blocking.
func (w *DurabilityWatch) Kick() {
	select {
	case w.kicks <- struct{}{}:
	default:
	}
}

// Check asks every node (every node CLUSTER NODES lists that is not marked
// failed, on a cluster) for its durability settings and its memory, and
// updates Durable and Memory. It returns what CheckDurability returns: nil
// when durable, an error naming each offending node and setting,
// ErrConfigUnavailable, or a store_unavailable *Error when a node does not
// answer, in which case Durable keeps its last value (a node that cannot be
// asked cannot acknowledge a write either).
func (w *DurabilityWatch) Check(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	addrs, err := w.addrs(ctx)
	if err != nil {
		return err
	}
	var bad []string
	var noConfig error
	var mem []NodeMemory
	for _, addr := range addrs {
		node := w.node(addr)
		name := "redis node " + addr
		if w.cluster == nil {
			name = "redis " + addr
		}
		err := checkNodeDurability(ctx, node, name)
		switch {
		case err == nil:
		case sale.ErrorCode(err) != "":
			return err
		case errors.Is(err, ErrConfigUnavailable):
			noConfig = err
		default:
			bad = append(bad, err.Error())
		}
		m, err := nodeMemory(ctx, node, addr)
		if err != nil {
			return err
		}
		mem = append(mem, m)
	}
	w.forgetNodesBut(addrs)
	w.memory.Store(&mem)
	w.checked.Store(true)
	switch {
	case len(bad) > 0:
		sort.Strings(bad)
		err = errors.New(strings.Join(bad, "; "))
	case noConfig != nil:
		err = noConfig
	}
	w.durable.Store(err == nil)
	return err
}

// Close closes the watch's own clients.
func (w *DurabilityWatch) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forgetNodesBut(nil)
}

// addrs returns the addresses of the nodes to ask: CLUSTER NODES from the
// first known node that answers (or the cluster client), or the one server.
func (w *DurabilityWatch) addrs(ctx context.Context) ([]string, error) {
	if w.cluster == nil {
		return []string{w.rdb.(*redis.Client).Options().Addr}, nil
	}
	known := make([]string, 0, len(w.nodes))
	for addr := range w.nodes {
		known = append(known, addr)
	}
	sort.Strings(known)
	for _, addr := range known {
		if text, err := w.nodes[addr].ClusterNodes(ctx).Result(); err == nil {
			return clusterNodeAddrs(text), nil
		}
	}
	text, err := w.cluster.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, storeErr(err)
	}
	return clusterNodeAddrs(text), nil
}

// node returns the watch's client of the node at addr.
func (w *DurabilityWatch) node(addr string) *redis.Client {
	if c, ok := w.nodes[addr]; ok {
		return c
	}
	var c *redis.Client
	if w.cluster != nil {
		c = nodeClient(w.cluster.Options(), addr)
	} else {
		o := *w.rdb.(*redis.Client).Options()
		o.PoolSize, o.MinIdleConns, o.MaxRetries, o.ContextTimeoutEnabled = 1, 0, -1, true
		c = redis.NewClient(&o)
	}
	w.nodes[addr] = c
	return c
}

// forgetNodesBut closes the clients of nodes not in keep.
func (w *DurabilityWatch) forgetNodesBut(keep []string) {
	for addr, c := range w.nodes {
		if i := sort.SearchStrings(keep, addr); i < len(keep) && keep[i] == addr {
			continue
		}
		_ = c.Close()
		delete(w.nodes, addr)
	}
}

// nodeMemory reads used_memory and maxmemory from INFO memory.
func nodeMemory(ctx context.Context, node redis.Cmdable, addr string) (NodeMemory, error) {
	info, err := node.Info(ctx, "memory").Result()
	if err != nil {
		return NodeMemory{}, storeErr(err)
	}
	m := NodeMemory{Node: addr}
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch k {
		case "used_memory":
			m.Used, _ = strconv.ParseInt(v, 10, 64)
		case "maxmemory":
			m.Max, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return m, nil
}

// dialKick is a client hook that kicks the watch on every connection the
// client dials.
type dialKick struct{ w *DurabilityWatch }

func (h dialKick) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err == nil {
			h.w.Kick()
		}
		return conn, err
	}
}

func (dialKick) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (dialKick) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// CheckReplicas reports the primaries of the watched Redis that have fewer
// than n replicas connected (see checkReplicas).
func (w *DurabilityWatch) CheckReplicas(ctx context.Context, n int) error {
	return checkReplicas(ctx, w.rdb, n)
}
