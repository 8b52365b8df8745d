package deploytest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib/redistest"
)

// createClusterScript creates the Redis Cluster in compose (mounted) and on
// Kubernetes (the Job's ConfigMap).
const createClusterScript = "deploy/k8s/redis-cluster/create-cluster.sh"

// clusterNode is one node of a test's cluster.
type clusterNode struct {
	*redistest.Server
	rdb *redis.Client
}

// startClusterNodes starts n durable redis-servers in cluster mode (not yet
// a cluster) on free ports, stopped when the test ends. Each listens on
// 127.0.0.1 and, where the machine has it, ::1: the script resolves
// "localhost" to whichever the machine prefers.
func startClusterNodes(t *testing.T, n int) []clusterNode {
	t.Helper()
	nodes := make([]clusterNode, n)
	for i := range nodes {
		s := redistest.Start(t, "--bind", "127.0.0.1", "-::1", "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-port", strconv.Itoa(redistest.FreePort(t)),
			"--cluster-node-timeout", "2000")
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
		t.Cleanup(func() { _ = rdb.Close() })
		nodes[i] = clusterNode{Server: s, rdb: rdb}
	}
	return nodes
}

// runCreateCluster runs the script on the nodes, named host:port with the
// given host, and returns what it wrote.
func runCreateCluster(t *testing.T, host string, nodes []clusterNode) string {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatal("redis-cli not found on PATH: the script runs it; install redis-tools (apt-get install redis-server has it)")
	}
	args := []string{filepath.Join(repoRoot(t), filepath.FromSlash(createClusterScript))}
	for _, n := range nodes {
		_, port, _ := strings.Cut(n.Addr, ":")
		args = append(args, host+":"+port)
	}
	cmd := exec.Command("sh", args...)
	cmd.Env = append(os.Environ(), "WAIT_SECONDS=60")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// clusterView is what a run of the script may change on a node: the nodes
// it knows (ID, role, primary, slots) and the epochs.
func clusterView(t *testing.T, n clusterNode) string {
	t.Helper()
	ctx := context.Background()
	nodes, err := n.rdb.ClusterNodes(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(nodes), "\n") {
		f := strings.Fields(l)
		// id, flags, primary, config epoch, slots; not the address (f[1]),
		// the ping/pong times (f[4], f[5]) or the link state (f[7]).
		lines = append(lines, strings.Join(append([]string{f[0], f[2], f[3], f[6]}, f[8:]...), " "))
	}
	slices.Sort(lines)
	info, err := n.rdb.ClusterInfo(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n") + "\n" + infoField(info, "cluster_current_epoch") + " " + infoField(info, "cluster_my_epoch")
}

// clusterWrites counts the cluster-changing commands the node has executed.
func clusterWrites(t *testing.T, n clusterNode) string {
	t.Helper()
	stats, err := n.rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, cmd := range []string{"meet", "addslots", "addslotsrange", "replicate", "set-config-epoch", "reset", "failover"} {
		out = append(out, cmd+"="+infoField(stats, "cmdstat_cluster|"+cmd))
	}
	return strings.Join(out, " ")
}

// infoField returns a field of an INFO-style reply ("name:value" lines).
func infoField(info, name string) string {
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), name+":"); ok {
			return v
		}
	}
	return ""
}

// checkClusterFormed checks that every node reports cluster_state:ok,
// knows every node and sees every slot assigned, and that every node sees
// three primaries with slots, each with one replica (polled: a node learns
// a replica's role by gossip, after the others).
func checkClusterFormed(t *testing.T, nodes []clusterNode) {
	t.Helper()
	ctx := context.Background()
	for _, n := range nodes {
		info, err := n.rdb.ClusterInfo(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if infoField(info, "cluster_state") != "ok" || infoField(info, "cluster_known_nodes") != strconv.Itoa(len(nodes)) ||
			infoField(info, "cluster_slots_assigned") != "16384" {
			t.Errorf("%s: %s", n.Addr, info)
		}
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		problem := ""
		for _, n := range nodes {
			if problem = shardProblem(t, n); problem != "" {
				break
			}
		}
		if problem == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %s", problem)
		}
	}
}

// shardProblem returns what is wrong with the node's view of the cluster
// (three primaries with slots, each with one replica), or "".
func shardProblem(t *testing.T, n clusterNode) string {
	t.Helper()
	out, err := n.rdb.ClusterNodes(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	primaries := map[string]int{} // primary ID -> replicas
	var replicasOf []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		switch {
		case strings.Contains(f[2], "master") && len(f) > 8:
			primaries[f[0]] += 0
		case strings.Contains(f[2], "slave"):
			replicasOf = append(replicasOf, f[3])
		default:
			return fmt.Sprintf("%s: node %s is neither a primary with slots nor a replica", n.Addr, l)
		}
	}
	for _, p := range replicasOf {
		if _, ok := primaries[p]; !ok {
			return fmt.Sprintf("%s: a replica of %s, which is not a primary with slots", n.Addr, p)
		}
		primaries[p]++
	}
	if len(primaries) != 3 {
		return fmt.Sprintf("%s: %d primaries with slots, want 3:\n%s", n.Addr, len(primaries), out)
	}
	for p, r := range primaries {
		if r != 1 {
			return fmt.Sprintf("%s: primary %s has %d replicas, want 1", n.Addr, p, r)
		}
	}
	return ""
}

// TestCreateClusterScriptIsIdempotent runs the cluster creation script of
// compose and Kubernetes on six real redis-servers (cluster mode, AOF with
// fsync always), named by host name as the Job names the pods: it creates
// a cluster of three primaries with one replica each. Run again, it finds
// the cluster ok and sends no cluster command: the nodes, roles, slots and
// epochs are unchanged. Then, after every node restarted believing the
// others at an address they no longer have (as after pods restart with new
// IPs), a third run meets them again and the cluster is ok, the same.
func TestCreateClusterScriptIsIdempotent(t *testing.T) {
	nodes := startClusterNodes(t, 6)

	out := runCreateCluster(t, "localhost", nodes)
	if !strings.Contains(out, "created: cluster_state:ok on all 6 nodes") {
		t.Errorf("first run did not report the creation:\n%s", out)
	}
	checkClusterFormed(t, nodes)

	before := make([]string, len(nodes))
	writes := make([]string, len(nodes))
	for i, n := range nodes {
		before[i], writes[i] = clusterView(t, n), clusterWrites(t, n)
	}
	out = runCreateCluster(t, "localhost", nodes)
	if !strings.Contains(out, "nothing to do") {
		t.Errorf("second run did not leave the cluster alone:\n%s", out)
	}
	for i, n := range nodes {
		if after := clusterView(t, n); after != before[i] {
			t.Errorf("%s: the second run changed the cluster:\nbefore:\n%s\nafter:\n%s", n.Addr, before[i], after)
		}
		if w := clusterWrites(t, n); w != writes[i] {
			t.Errorf("%s: the second run sent cluster commands: before %s, after %s", n.Addr, writes[i], w)
		}
	}

	// Every node restarts knowing the others at an address where nothing
	// listens (127.0.0.9): each alone, the cluster is down.
	for _, n := range nodes {
		n.Kill()
	}
	for _, n := range nodes {
		conf := filepath.Join(n.Dir, "nodes.conf")
		b, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		moved := strings.ReplaceAll(string(b), "127.0.0.1:", "127.0.0.9:")
		moved = strings.ReplaceAll(moved, "::1:", "127.0.0.9:")
		if err := os.WriteFile(conf, []byte(moved), 0o644); err != nil {
			t.Fatal(err)
		}
		n.Restart()
	}
	waitFor(t, 20*time.Second, "the restarted nodes to report the cluster down", func() bool {
		info, err := nodes[0].rdb.ClusterInfo(context.Background()).Result()
		return err == nil && infoField(info, "cluster_state") == "fail"
	})
	out = runCreateCluster(t, "127.0.0.1", nodes)
	if !strings.Contains(out, "repaired: cluster_state:ok on all 6 nodes") {
		t.Errorf("third run did not repair the cluster:\n%s", out)
	}
	checkClusterFormed(t, nodes)
	for i, n := range nodes {
		// The same nodes, roles and slots; epochs may only have grown.
		if after := clusterView(t, n); firstLines(after) != firstLines(before[i]) {
			t.Errorf("%s: the repair changed the cluster:\nbefore:\n%s\nafter:\n%s", n.Addr, before[i], after)
		}
	}
}

// firstLines drops the last line (the epochs) of a clusterView.
func firstLines(view string) string {
	i := strings.LastIndex(view, "\n")
	return view[:i]
}
