package redistest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
)

// A Cluster is a real Redis Cluster of local redis-server processes: three
// primaries and three replicas (one each), every node with AOF on and
// appendfsync always, in its own directory, on free ports.
type Cluster struct {
	// Nodes are the six nodes in the order they were created with: the first
	// three started as primaries, node i+3 as the replica of node i. Roles
	// change after a failover: ask Roles or PrimaryOf.
	Nodes []*Node
	// NodeTimeout is the cluster-node-timeout: how long a primary must be
	// unreachable before its replica is promoted.
	NodeTimeout time.Duration
}

// Node is one redis-server of a Cluster.
type Node struct {
	Addr string // 127.0.0.1:port
	Dir  string

	args []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// ClusterOption changes how StartCluster starts the cluster.
type ClusterOption func(*clusterSpec)

type clusterSpec struct {
	nodeTimeout time.Duration
	extra       []string
}

// NodeTimeout sets cluster-node-timeout (default 1 s): how long a primary is
// unreachable before its replica takes over.
func NodeTimeout(d time.Duration) ClusterOption {
	return func(s *clusterSpec) { s.nodeTimeout = d }
}

// ClusterArgs passes extra arguments to every redis-server.
func ClusterArgs(args ...string) ClusterOption {
	return func(s *clusterSpec) { s.extra = append(s.extra, args...) }
}

// StartCluster starts a cluster of three primaries and three replicas in
// the test's temporary directory, creates it with `redis-cli --cluster
// create --cluster-replicas 1`, waits until every node reports
// cluster_state:ok with all 16384 slots assigned and every replica online,
// and stops every node when the test ends.
func StartCluster(t testing.TB, opts ...ClusterOption) *Cluster {
	t.Helper()
	Binary(t)
	cliBinary(t)
	c, err := NewCluster(t.TempDir(), opts...)
	if c != nil {
		t.Cleanup(c.Stop)
	}
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	return c
}

// NewCluster is StartCluster without a test: for a package's TestMain
// (SharedCluster). The caller stops it with Stop, also after an error.
func NewCluster(dir string, opts ...ClusterOption) (*Cluster, error) {
	spec := clusterSpec{nodeTimeout: time.Second}
	for _, o := range opts {
		o(&spec)
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errors.New("redis-server not found on PATH: tests need a real Redis 7; install it with `apt-get install redis-server`")
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		return nil, errors.New("redis-cli not found on PATH: cluster tests need it to create the cluster; install it with `apt-get install redis-tools`")
	}
	c := &Cluster{NodeTimeout: spec.nodeTimeout}
	user, err := functionsUserArgs()
	if err != nil {
		return nil, err
	}
	ports, err := clusterPorts(6)
	if err != nil {
		return nil, err
	}
	for i, port := range ports {
		n := &Node{Addr: "127.0.0.1:" + strconv.Itoa(port), Dir: filepath.Join(dir, "node"+strconv.Itoa(i))}
		if err := os.MkdirAll(n.Dir, 0o700); err != nil {
			return c, err
		}
		n.args = append([]string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", n.Dir,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", strconv.FormatInt(spec.nodeTimeout.Milliseconds(), 10),
			// A replica takes over however long ago it last heard from its
			// primary: tests kill primaries at any moment.
			"--cluster-replica-validity-factor", "0",
			// Slots of a primary that is down fail alone; the others serve.
			"--cluster-require-full-coverage", "no",
			"--appendonly", "yes", "--appendfsync", "always", "--save", "",
			"--logfile", filepath.Join(n.Dir, "redis.log"), "--enable-debug-command", "local",
		}, user...)
		n.args = append(n.args, spec.extra...)
		c.Nodes = append(c.Nodes, n)
		if err := n.start(); err != nil {
			return c, err
		}
	}
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		return c, fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.waitHealthy(30 * time.Second); err != nil {
		return c, err
	}
	return c, nil
}

// sharedCluster is the cluster of SharedCluster.
var sharedCluster struct {
	sync.Mutex
	c   *Cluster
	dir string
}

// SharedCluster starts one cluster for a whole test binary, from its
// TestMain, and returns it with the function that stops it and removes its
// files (call it after m.Run). Tests that share it keep to keys of their
// own (every ID is random), and must leave its topology as they found it:
// a test that kills or reshards starts its own cluster.
func SharedCluster() (*Cluster, func(), error) {
	sharedCluster.Lock()
	defer sharedCluster.Unlock()
	if sharedCluster.c != nil {
		return sharedCluster.c, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "redistest-cluster-")
	if err != nil {
		return nil, nil, err
	}
	c, err := NewCluster(dir)
	stop := func() {
		if c != nil {
			c.Stop()
		}
		_ = os.RemoveAll(dir)
		sharedCluster.Lock()
		sharedCluster.c = nil
		sharedCluster.Unlock()
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	sharedCluster.c, sharedCluster.dir = c, dir
	return c, stop, nil
}

// clusterPorts returns n free ports whose cluster bus ports (port + 10000)
// are free too, all below the kernel's ephemeral range (32768 and up), where
// the local port of a client connection could take one between the check
// and the bind.
func clusterPorts(n int) ([]int, error) {
	var ports []int
	taken := map[int]bool{}
	for tries := 0; len(ports) < n; tries++ {
		if tries > 500 {
			return nil, errors.New("no free port pairs (port, port+10000) below 32768 found")
		}
		p := 20000 + rand.IntN(2700)
		if taken[p] || taken[p+10000] || taken[p-10000] {
			continue
		}
		free := true
		for _, port := range []int{p, p + 10000} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				free = false
				break
			}
			_ = l.Close()
		}
		if !free {
			continue
		}
		taken[p], taken[p+10000] = true, true
		ports = append(ports, p)
	}
	return ports, nil
}

func cliBinary(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redis-cli not found on PATH: cluster tests need it to create the cluster; install it with `apt-get install redis-tools`")
	}
}

func (n *Node) start() error {
	cmd := exec.Command("redis-server", n.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server %s: %w", n.Addr, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
	c := n.client()
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server %s exited during start-up: %v\n%s", n.Addr, cmd.ProcessState, n.Log())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server %s not ready after 20s: %v", n.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client returns a plain client of this node alone.
func (n *Node) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 5 * time.Second})
}

// Kill sends SIGKILL to the node and waits for it to exit.
func (n *Node) Kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Pause stops the node's process (SIGSTOP) until Resume: it answers
// nothing, and as a replica it acknowledges no replication.
func (n *Node) Pause() { n.signal(syscall.SIGSTOP) }

// Resume continues a paused node (SIGCONT).
func (n *Node) Resume() { n.signal(syscall.SIGCONT) }

func (n *Node) signal(sig syscall.Signal) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(sig)
	}
}

// Running reports whether the node's process runs.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

// Restart starts a killed node again on its port and directory: it loads its
// AOF and nodes.conf and rejoins the cluster (a killed primary whose replica
// took over comes back as a replica).
func (n *Node) Restart(t testing.TB) {
	t.Helper()
	n.Kill()
	if err := n.start(); err != nil {
		t.Fatal(err)
	}
}

// Log returns what the node has written to its log file so far.
func (n *Node) Log() string {
	b, _ := os.ReadFile(filepath.Join(n.Dir, "redis.log"))
	return string(b)
}

// Stop kills every node.
func (c *Cluster) Stop() {
	for _, n := range c.Nodes {
		n.Kill()
	}
}

// Addrs returns the nodes' addresses, comma-separated: REDIS_ADDR.
func (c *Cluster) Addrs() string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return strings.Join(addrs, ",")
}

// Config returns a redislib.Config for the cluster: every node as a seed,
// the functions' user (FunctionsUser) with the shipped ACL, one replica
// acknowledgement per write (the default on a cluster). Its
// timeouts are generous, like Server.Config's, so that a loaded two-core
// machine is not taken for a failing replica; tests of failures set their
// own.
func (c *Cluster) Config() redislib.Config {
	return redislib.Config{Addr: c.Addrs(), Cluster: true, Timeout: 10 * time.Second,
		MinReplicaAcks: -1, ReplicaAckTimeout: 5 * time.Second,
		Username: FunctionsUser, Password: FunctionsPassword}
}

// Client returns a cluster client as the functions' user, closed when the
// test ends.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	t.Helper()
	rdb, err := redislib.NewClient(c.Config())
	if err != nil {
		t.Fatalf("redis cluster client: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb.(*redis.ClusterClient)
}

// Store returns a redislib.Store on the cluster that waits for one replica
// per write.
func (c *Cluster) Store(t testing.TB) *redislib.Store {
	t.Helper()
	cfg := c.Config()
	return redislib.NewStore(c.Client(t), redislib.ReplicaAcks(cfg.ReplicaAcks(), cfg.ReplicaAckTimeout))
}

// String describes the cluster for test messages.
func (c *Cluster) String() string { return "redis cluster " + c.Addrs() }

// NodeByAddr returns the node listening on addr, or nil.
func (c *Cluster) NodeByAddr(addr string) *Node {
	for _, n := range c.Nodes {
		if n.Addr == addr {
			return n
		}
	}
	return nil
}

// nodeInfo is one line of CLUSTER NODES.
type nodeInfo struct {
	id, addr, master string
	primary, failed  bool
	connected        bool
	slots            [][2]int
}

// clusterNodes reads CLUSTER NODES from a running node.
func (c *Cluster) clusterNodes(ctx context.Context, from *Node) ([]nodeInfo, error) {
	cl := from.client()
	defer cl.Close()
	text, err := cl.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, err
	}
	var out []nodeInfo
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		ni := nodeInfo{id: f[0], addr: addr, master: f[3], connected: f[7] == "connected",
			primary: strings.Contains(f[2], "master"), failed: strings.Contains(f[2], "fail")}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				continue // a slot being migrated or imported
			}
			lo, hi, found := strings.Cut(s, "-")
			if !found {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil {
				ni.slots = append(ni.slots, [2]int{a, b})
			}
		}
		out = append(out, ni)
	}
	return out, nil
}

// anyRunning returns a node that runs, for reading the cluster's view.
func (c *Cluster) anyRunning(except *Node) *Node {
	for _, n := range c.Nodes {
		if n != except && n.Running() {
			return n
		}
	}
	return nil
}

// waitHealthy polls every running node until each reports cluster_state:ok
// with all slots assigned and sees every slot owned by a primary that is not
// failed, every running primary with an online replica.
func (c *Cluster) waitHealthy(limit time.Duration) error {
	ctx := context.Background()
	deadline := time.Now().Add(limit)
	var last error
	for {
		last = c.healthy(ctx)
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster not healthy after %s: %v", limit, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) healthy(ctx context.Context) error {
	running := 0
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		running++
		cl := n.client()
		info, err := cl.ClusterInfo(ctx).Result()
		cl.Close()
		if err != nil {
			return fmt.Errorf("%s: CLUSTER INFO: %v", n.Addr, err)
		}
		if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_assigned:16384") {
			return fmt.Errorf("%s: %s", n.Addr, strings.Join(strings.Fields(info)[:3], " "))
		}
		nodes, err := c.clusterNodes(ctx, n)
		if err != nil {
			return err
		}
		replicas := map[string]int{}
		for _, ni := range nodes {
			if !ni.primary && !ni.failed && ni.connected && ni.master != "-" {
				replicas[ni.master]++
			}
		}
		for _, ni := range nodes {
			if ni.primary && len(ni.slots) > 0 && (ni.failed || replicas[ni.id] == 0) && c.NodeByAddr(ni.addr).Running() {
				return fmt.Errorf("%s sees primary %s failed or without a replica", n.Addr, ni.addr)
			}
		}
	}
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		cl := n.client()
		role, err := cl.Do(ctx, "role").Slice()
		cl.Close()
		if err != nil {
			return fmt.Errorf("%s: ROLE: %v", n.Addr, err)
		}
		if len(role) > 3 && role[0] == "slave" && role[3] != "connected" {
			return fmt.Errorf("replica %s is %v", n.Addr, role[3])
		}
	}
	if running == 0 {
		return errors.New("no node runs")
	}
	return nil
}

// WaitHealthy waits until the cluster is healthy again (see StartCluster),
// after a failover or a node restarted.
func (c *Cluster) WaitHealthy(t testing.TB) {
	t.Helper()
	if err := c.waitHealthy(30 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// PrimaryOf returns the node that serves key's slot now, as a running node
// sees it.
func (c *Cluster) PrimaryOf(t testing.TB, key string) *Node {
	t.Helper()
	n, err := c.primaryOf(context.Background(), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (c *Cluster) primaryOf(ctx context.Context, key string, except *Node) (*Node, error) {
	from := c.anyRunning(except)
	if from == nil {
		return nil, errors.New("no node runs")
	}
	slot := Slot(key)
	nodes, err := c.clusterNodes(ctx, from)
	if err != nil {
		return nil, err
	}
	for _, ni := range nodes {
		if !ni.primary || ni.failed {
			continue
		}
		for _, r := range ni.slots {
			if slot >= r[0] && slot <= r[1] {
				if n := c.NodeByAddr(ni.addr); n != nil {
					return n, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("no live primary serves slot %d (as %s sees it)", slot, from.Addr)
}

// Roles returns the addresses of the primaries and of the replicas, as a
// running node sees them.
func (c *Cluster) Roles(t testing.TB) (primaries, replicas []string) {
	t.Helper()
	nodes, err := c.clusterNodes(context.Background(), c.anyRunning(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, ni := range nodes {
		switch {
		case ni.failed:
		case ni.primary && len(ni.slots) > 0:
			primaries = append(primaries, ni.addr)
		case !ni.primary:
			replicas = append(replicas, ni.addr)
		}
	}
	return primaries, replicas
}

// KillPrimaryOf sends SIGKILL to the primary serving key's slot and returns
// it; WaitPromoted waits for its replica to take over.
func (c *Cluster) KillPrimaryOf(t testing.TB, key string) *Node {
	t.Helper()
	n := c.PrimaryOf(t, key)
	n.Kill()
	return n
}

// WaitPromoted polls the surviving nodes until key's slot is served by a
// primary other than old, and returns how long that took.
func (c *Cluster) WaitPromoted(t testing.TB, key string, old *Node) (*Node, time.Duration) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(30*time.Second + 10*c.NodeTimeout)
	for {
		n, err := c.primaryOf(context.Background(), key, old)
		if err == nil && n != old {
			// Every running node must agree before clients are pointed at it.
			if err := c.agree(key, n, old); err == nil {
				return n, time.Since(start)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica took over the slot of %s from %s: %v", key, old.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// agree reports whether every running node sees want serving key's slot.
func (c *Cluster) agree(key string, want, except *Node) error {
	for _, n := range c.Nodes {
		if n == except || !n.Running() {
			continue
		}
		cl := n.client()
		role, err := cl.Do(context.Background(), "role").Slice()
		cl.Close()
		if err != nil {
			return err
		}
		if n == want && (len(role) == 0 || role[0] != "master") {
			return fmt.Errorf("%s is not a master yet", n.Addr)
		}
	}
	return nil
}

// Slot returns the cluster slot of key (CRC16 of its hash tag, mod 16384),
// as Redis computes it.
func Slot(key string) int {
	if s := strings.IndexByte(key, '{'); s >= 0 {
		if e := strings.IndexByte(key[s+1:], '}'); e > 0 {
			key = key[s+1 : s+1+e]
		}
	}
	return int(crc16([]byte(key)) % 16384)
}

// crc16 is CRC-16/XMODEM, the checksum of the Redis Cluster specification.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// MigrateSlot moves slot from its primary to the primary to, the way
// `redis-cli --cluster reshard` does: CLUSTER SETSLOT IMPORTING on to,
// MIGRATING on the source, MIGRATE of its keys a few at a time, then
// SETSLOT NODE on both and every other primary. between, when not nil, runs
// after the first batch of keys has moved and before the rest: while some
// keys answer ASK. It returns the number of keys moved.
func (c *Cluster) MigrateSlot(t testing.TB, slot int, to *Node, between func()) int {
	t.Helper()
	ctx := context.Background()
	var from *Node
	nodes, err := c.clusterNodes(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	var primaries []*Node
	for _, ni := range nodes {
		ids[ni.addr] = ni.id
		if ni.primary && !ni.failed && len(ni.slots) > 0 {
			primaries = append(primaries, c.NodeByAddr(ni.addr))
		}
		for _, r := range ni.slots {
			if ni.primary && slot >= r[0] && slot <= r[1] {
				from = c.NodeByAddr(ni.addr)
			}
		}
	}
	if from == nil || from == to {
		t.Fatalf("slot %d: source %v, target %s", slot, from, to.Addr)
	}
	src, dst := from.client(), to.client()
	defer src.Close()
	defer dst.Close()
	do := func(cl *redis.Client, args ...any) {
		t.Helper()
		if err := cl.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v on %s: %v", args, cl.Options().Addr, err)
		}
	}
	do(dst, "cluster", "setslot", slot, "importing", ids[from.Addr])
	do(src, "cluster", "setslot", slot, "migrating", ids[to.Addr])
	host, port, _ := net.SplitHostPort(to.Addr)
	moved := 0
	for batch := 0; ; batch++ {
		keys, err := src.ClusterGetKeysInSlot(ctx, slot, 3).Result()
		if err != nil {
			t.Fatalf("GETKEYSINSLOT: %v", err)
		}
		if len(keys) == 0 {
			break
		}
		args := []any{"migrate", host, port, "", 0, 5000, "keys"}
		for _, k := range keys {
			args = append(args, k)
		}
		do(src, args...)
		moved += len(keys)
		if batch == 0 && between != nil {
			between()
		}
	}
	do(dst, "cluster", "setslot", slot, "node", ids[to.Addr])
	do(src, "cluster", "setslot", slot, "node", ids[to.Addr])
	for _, p := range primaries {
		if p != from && p != to {
			cl := p.client()
			err := cl.Do(ctx, "cluster", "setslot", slot, "node", ids[to.Addr]).Err()
			cl.Close()
			if err != nil {
				t.Fatalf("SETSLOT NODE on %s: %v", p.Addr, err)
			}
		}
	}
	return moved
}

// NodeClient returns a plain client of one node (no redirections), closed
// when the test ends: for changing one node's settings in tests.
func (n *Node) NodeClient(t testing.TB) *redis.Client {
	t.Helper()
	cl := n.client()
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}
