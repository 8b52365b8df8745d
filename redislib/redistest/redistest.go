// Package redistest starts private redis-server processes for tests: AOF on
// with appendfsync always, data in a temporary directory, on a free port.
// Tests never use a shared Redis (and never port 6379). StartCluster starts
// a real Redis Cluster the same way (three primaries, three replicas), and
// SharedCluster one for a whole test binary.
package redistest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
)

// Server is a redis-server process owned by one test.
type Server struct {
	Addr string // 127.0.0.1:port
	Dir  string // data directory (AOF lives in Dir/appendonlydir)

	// TLSCAFile is the CA of a server started by StartTLS; empty otherwise.
	TLSCAFile string

	t    testing.TB
	args []string
	cmd  *exec.Cmd
	done chan struct{}
	tls  *tls.Config // how waitReady connects (StartTLS)
}

// Binary returns the path of redis-server, or fails the test with a message
// saying what to install.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found on PATH: tests need a real Redis 7; install it with `apt-get install redis-server` (scripts/test.sh does this)")
	}
	return path
}

// Start starts a durable redis-server (appendonly yes, appendfsync always) in
// a new temporary directory and stops it when the test ends. Extra arguments
// are passed to redis-server as they are, after the defaults.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	s := prepare(t, extra...)
	s.start()
	t.Cleanup(func() { s.Kill() })
	return s
}

// prepare returns a server with its directory, port and arguments, not started.
func prepare(t testing.TB, extra ...string) *Server {
	s := &Server{Dir: t.TempDir(), t: t}
	s.Addr = "127.0.0.1:" + strconv.Itoa(FreePort(t))
	_, port, _ := net.SplitHostPort(s.Addr)
	user, err := functionsUserArgs()
	if err != nil {
		t.Fatal(err)
	}
	s.args = append([]string{
		"--port", port, "--bind", "127.0.0.1", "--dir", s.Dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "",
		"--logfile", filepath.Join(s.Dir, "redis.log"), "--enable-debug-command", "local",
	}, user...)
	s.args = append(s.args, extra...)
	return s
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *Server) start() {
	s.t.Helper()
	cmd := exec.Command(Binary(s.t), s.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)
	s.waitReady()
}

// waitReady polls PING until the server answers: PONG, or a refusal such as
// NOAUTH from a server that requires a password, but not LOADING.
func (s *Server) waitReady() {
	s.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: time.Second, TLSConfig: s.tls})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		var reply redis.Error
		if err == nil || errors.As(err, &reply) && !redis.IsLoadingError(err) {
			return
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
			s.t.Fatalf("redis-server exited during start-up: %v\n%s", s.cmd.ProcessState, log)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server at %s not ready after 20s: %v", s.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends SIGKILL to the server and waits for it to exit. Nothing is
// flushed: what survives is what the AOF already holds.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

// Restart starts the server again on the same port and data directory,
// killing it first if it runs, and waits until it has loaded its AOF.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.start()
}

// Config returns a redislib.Config for the server, as the functions' user
// (FunctionsUser) with the shipped ACL. Its per-call timeout is
// generous, so that hundreds of goroutines queueing for a pooled connection on
// a loaded two-core machine wait rather than fail; tests of timeouts bound
// their requests with REQUEST_TIMEOUT or a context instead.
func (s *Server) Config() redislib.Config {
	return redislib.Config{Addr: s.Addr, Timeout: 10 * time.Second, TLS: s.TLSCAFile != "", TLSCAFile: s.TLSCAFile,
		Username: FunctionsUser, Password: FunctionsPassword}
}

// Client returns a client for the server as the functions' user, closed
// when the test ends. AdminClient may run every command.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	return s.clientOf(t, s.Config())
}

func (s *Server) clientOf(t testing.TB, cfg redislib.Config) *redis.Client {
	t.Helper()
	c, err := redislib.NewClient(cfg)
	if err != nil {
		t.Fatalf("redis client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*redis.Client)
}

// Store returns a redislib.Store on the server.
func (s *Server) Store(t testing.TB) *redislib.Store {
	t.Helper()
	return redislib.NewStore(s.Client(t))
}

// String describes the server for test messages.
func (s *Server) String() string { return fmt.Sprintf("redis-server %s (dir %s)", s.Addr, s.Dir) }
