package redistest

import (
	"os"
	"path/filepath"
	"syscall"
)

// Pause stops the server with SIGSTOP: it keeps its connections and the
// kernel still accepts new ones, but nothing is answered, like a Redis that
// hangs. Resume continues it. A paused server is killed at the end of the test.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a server stopped by Pause.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		s.t.Fatalf("%s is not running", s)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v to %s: %v", sig, s, err)
	}
}

// Log returns what the server has written to its log file so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	return string(b)
}
