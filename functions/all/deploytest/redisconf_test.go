package deploytest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/redistest"
)

// Passwords of the ACL users in TestRedisConfIsDurable.
const (
	functionsPassword = "functions-password-0123456789abcdef"
	adminPassword     = "admin-password-0123456789abcdef012"
)

// TestRedisConfIsDurable starts a real redis-server as the deployment does:
// deploy/redis-users.sh writes the ACL users, then starts it with
// deploy/redis.conf (only port, bind address, data directory and the users
// file's path overridden for the test). It checks what the functions
// require and the deployment promises: the AOF on with fsync always, kept
// while rewriting, no eviction, the data under dir/appendonlydir; nobody
// gets in without a password; the functions' user runs what they need and
// nothing else. The Kubernetes copies must be the same files.
func TestRedisConfIsDurable(t *testing.T) {
	conf := readFile(t, "deploy/redis.conf")
	for _, file := range []string{"redis.conf", "redis-users.sh", "redis-functions.acl"} {
		for _, dir := range []string{"deploy/k8s/redis/", "deploy/k8s/redis-cluster/"} {
			if !bytes.Equal(readFile(t, "deploy/"+file), readFile(t, dir+file)) {
				t.Errorf("%s%s differs from deploy/%s; keep them identical", dir, file, file)
			}
		}
	}

	// Redis changes to dir while it reads the file, so the test's copy
	// names its own directory in place of /data, and its own users file;
	// every other line is as is.
	dir := t.TempDir()
	users := filepath.Join(dir, "run", "users.conf")
	for _, line := range []string{"\ndir /data\n", "\ninclude /run/redis/users.conf\n", "\nuser default off\n", "\nprotected-mode yes\n"} {
		if !bytes.Contains(conf, []byte(line)) {
			t.Fatalf("deploy/redis.conf lacks the line %q", strings.TrimSpace(line))
		}
	}
	conf = bytes.Replace(conf, []byte("\ndir /data\n"), []byte("\ndir "+dir+"\n"), 1)
	conf = bytes.Replace(conf, []byte("\ninclude /run/redis/users.conf\n"), []byte("\ninclude "+users+"\n"), 1)
	confCopy := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(confCopy, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	port := redistest.FreePort(t)
	cmd := exec.Command("sh", filepath.Join(repoRoot(t), "deploy", "redis-users.sh"), redistest.Binary(t), confCopy,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--logfile", filepath.Join(dir, "redis.log"))
	cmd.Env = append(os.Environ(), "REDIS_USERS_FILE="+users,
		"REDIS_PASSWORD="+functionsPassword, "REDIS_ADMIN_PASSWORD="+adminPassword)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })

	addr := "127.0.0.1:" + strconv.Itoa(port)
	rdb := redis.NewClient(&redis.Options{Addr: addr, Username: "admin", Password: adminPassword, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	waitFor(t, 20*time.Second, "redis-server with deploy/redis.conf to answer", func() bool {
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server refused deploy/redis.conf: %s\n%s", stderr.String(), log)
		default:
		}
		return rdb.Ping(ctx).Err() == nil
	})
	if info, err := os.Stat(users); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("users file %v (%v), want mode 0600: it holds the passwords", info, err)
	}

	functions := redis.NewClient(&redis.Options{Addr: addr, Username: "seckill", Password: functionsPassword, MaxRetries: -1})
	t.Cleanup(func() { _ = functions.Close() })
	if err := redislib.CheckDurability(ctx, functions); err != nil {
		t.Errorf("the functions would refuse this Redis: %v", err)
	}
	if err := functions.Set(ctx, "sk:{probe}:x", "1", 0).Err(); err != nil {
		t.Errorf("SET of a product key as the functions' user: %v", err)
	}
	for _, c := range [][]any{{"flushall"}, {"config", "set", "appendfsync", "no"}, {"set", "probe", "1"}, {"acl", "list"}} {
		if err := functions.Do(ctx, c...).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
			t.Errorf("%v as the functions' user: %v, want NOPERM", c, err)
		}
	}
	anonymous := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { _ = anonymous.Close() })
	if err := anonymous.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("PING without credentials: %v, want NOAUTH", err)
	}
	for user, pass := range map[string]string{"default": "", "seckill": adminPassword, "replica": adminPassword} {
		c := redis.NewClient(&redis.Options{Addr: addr, Username: user, Password: pass, MaxRetries: -1})
		if err := c.Ping(ctx).Err(); err == nil {
			t.Errorf("user %s got in with a wrong password", user)
		}
		c.Close()
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
