package deploytest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/redistest"
)

// TestRedisConfIsDurable starts a real redis-server with deploy/redis.conf
// (only port, bind address and data directory overridden for the test) and
// checks what the functions require and the deployment promises: the AOF on
// with fsync always, kept while rewriting, no eviction, and the data under
// dir/appendonlydir. The Kubernetes copies must be the same file.
func TestRedisConfIsDurable(t *testing.T) {
	conf := readFile(t, "deploy/redis.conf")
	for _, copy := range []string{"deploy/k8s/redis/redis.conf", "deploy/k8s/redis-cluster/redis.conf"} {
		if !bytes.Equal(conf, readFile(t, copy)) {
			t.Errorf("%s differs from deploy/redis.conf; keep them identical", copy)
		}
	}

	// Redis changes to dir while it reads the file, so the test's copy
	// names its own directory in place of /data; every other line is as is.
	dir := t.TempDir()
	if !bytes.Contains(conf, []byte("\ndir /data\n")) {
		t.Fatal("deploy/redis.conf does not put the data in /data (the volume in compose and Kubernetes)")
	}
	confCopy := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(confCopy, bytes.Replace(conf, []byte("\ndir /data\n"), []byte("\ndir "+dir+"\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	port := redistest.FreePort(t)
	cmd := exec.Command(redistest.Binary(t), confCopy,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--logfile", filepath.Join(dir, "redis.log"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })

	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	waitFor(t, 20*time.Second, "redis-server with deploy/redis.conf to answer", func() bool {
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server refused deploy/redis.conf:\n%s", log)
		default:
		}
		return rdb.Ping(ctx).Err() == nil
	})

	if err := redislib.CheckDurability(ctx, rdb); err != nil {
		t.Errorf("the functions would refuse this Redis: %v", err)
	}
	for param, want := range map[string]string{
		"no-appendfsync-on-rewrite": "no",
		"maxmemory-policy":          "noeviction",
		"save":                      "",
		"appenddirname":             "appendonlydir",
		"aof-load-truncated":        "yes",
	} {
		got, err := rdb.ConfigGet(ctx, param).Result()
		if err != nil || got[param] != want {
			t.Errorf("CONFIG GET %s = %q (%v), want %q", param, got[param], err, want)
		}
	}
	if err := rdb.Set(ctx, "probe", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.aof")); len(files) == 0 {
		t.Errorf("no AOF under %s/appendonlydir after a write", dir)
	}
}
