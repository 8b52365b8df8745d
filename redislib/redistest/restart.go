package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// TryRestart is Restart for a server that may refuse to start (for example
// on a damaged AOF with aof-load-truncated no): it returns an error with the
// server's log when the process exits during start-up, and nil once it serves.
func (s *Server) TryRestart() error {
	s.t.Helper()
	s.Kill()
	cmd := exec.Command(Binary(s.t), s.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: time.Second, TLSConfig: s.tls})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
			return fmt.Errorf("redis-server exited during start-up (%v):\n%s", cmd.ProcessState, log)
		default:
		}
		if err := c.Ping(context.Background()).Err(); err == nil {
			s.cmd, s.done = cmd, done
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server at %s not ready after 20s", s.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
