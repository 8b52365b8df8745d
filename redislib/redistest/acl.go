package redistest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
)

// Every redis-server of this package has the Redis user of the deployed
// functions, with the rules the deployment ships (deploy/redis-functions.acl),
// and the clients and configurations it hands out (Config, Client, Store)
// log in as that user. A command the functions need and the shipped ACL
// forbids therefore fails a test. The default user stays an unrestricted
// user without a password, on 127.0.0.1 only, for the tests' own
// administration (AdminClient: FLUSHALL, CONFIG SET, DEBUG, CLUSTER ...).
const (
	// FunctionsUser is the functions' Redis user (REDIS_USERNAME).
	FunctionsUser = "seckill"
	// FunctionsPassword is its password in tests (REDIS_PASSWORD).
	FunctionsPassword = "redistest-functions-password"
)

var functionsACL struct {
	once  sync.Once
	rules []string
	err   error
}

// FunctionsACL returns the ACL rules of the functions' user as the
// deployment ships them in deploy/redis-functions.acl: every field of the
// file outside # comments, without a password.
func FunctionsACL() ([]string, error) {
	functionsACL.once.Do(func() {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			functionsACL.err = fmt.Errorf("cannot locate deploy/redis-functions.acl: no caller information")
			return
		}
		path := filepath.Join(filepath.Dir(file), "..", "..", "deploy", "redis-functions.acl")
		text, err := os.ReadFile(path)
		if err != nil {
			functionsACL.err = fmt.Errorf("read the functions' ACL: %w", err)
			return
		}
		functionsACL.rules = ParseACL(string(text))
		if len(functionsACL.rules) == 0 {
			functionsACL.err = fmt.Errorf("%s holds no ACL rule", path)
		}
	})
	return functionsACL.rules, functionsACL.err
}

// ParseACL returns the rules of an ACL rules file: its fields, with
// everything from a # to the end of its line left out.
func ParseACL(text string) []string {
	var rules []string
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		rules = append(rules, strings.Fields(line)...)
	}
	return rules
}

// functionsUserArgs returns the redis-server arguments that create the
// functions' user with the shipped rules and FunctionsPassword.
func functionsUserArgs() ([]string, error) {
	rules, err := FunctionsACL()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--user", FunctionsUser}, rules...)
	return append(args, ">"+FunctionsPassword), nil
}

// AdminClient returns a client of the server as its default user, which
// may run every command, closed when the test ends. Tests use it for what
// the functions never do (FLUSHALL, CONFIG SET, DEBUG, reading ACL LOG).
func (s *Server) AdminClient(t testing.TB) *redis.Client {
	t.Helper()
	cfg := s.Config()
	cfg.Username, cfg.Password = "", ""
	return s.clientOf(t, cfg)
}

// AdminClient returns a client of the node as its default user, closed
// when the test ends.
func (n *Node) AdminClient(t testing.TB) *redis.Client {
	t.Helper()
	c := n.client()
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// AdminClient returns a cluster client as the nodes' default user, closed
// when the test ends.
func (c *Cluster) AdminClient(t testing.TB) *redis.ClusterClient {
	t.Helper()
	cfg := c.Config()
	cfg.Username, cfg.Password = "", ""
	rdb, err := redislib.NewClient(cfg)
	if err != nil {
		t.Fatalf("redis cluster client: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb.(*redis.ClusterClient)
}
