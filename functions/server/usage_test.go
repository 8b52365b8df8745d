package server

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kelseyhightower/envconfig"
)

// TestEnvTableMatchesEnvconfig checks that the usage table lists exactly
// what envconfig reads, in its words: every key, type, default, required
// flag and description, in order.
func TestEnvTableMatchesEnvconfig(t *testing.T) {
	var want bytes.Buffer
	format := "{{range .}}{{usage_key .}}\t{{usage_type .}}\t{{usage_default .}}\t{{usage_required .}}\t{{usage_description .}}\n{{end}}"
	if err := envconfig.Usagef("", &env{}, &want, format); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	writeEnvTable(&got, &env{})
	header, rows, _ := strings.Cut(got.String(), "\n")
	if header != "KEY\tTYPE\tDEFAULT\tREQUIRED\tDESCRIPTION" {
		t.Errorf("header = %q", header)
	}
	if rows != want.String() {
		t.Errorf("usage table differs from envconfig's:\ngot:\n%s\nwant:\n%s", rows, want.String())
	}
	if n := strings.Count(rows, "\n"); n < 10 {
		t.Errorf("only %d variables listed", n)
	}
}

// TestPrintUsageListsRoutesAndFlags checks the rest of --help.
func TestPrintUsageListsRoutesAndFlags(t *testing.T) {
	fn := Function{Name: "probe", Summary: "a test function", Routes: []Route{
		{Method: "GET", Path: "/things/:id"}, {Method: "POST", Path: "/things", Admin: true}}}
	var out bytes.Buffer
	printUsage(&out, []Function{fn})
	for _, want := range []string{`seckill function "probe": a test function`, "REDIS_ADDR", "SHUTDOWN_TIMEOUT",
		"-healthcheck", "GET   /livez", "GET   /readyz", "GET   /things/:id", "POST  /things      admin"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunRefusesBadRedisConfig: Run checks the Redis settings before it
// starts, and exits 2 naming the variable.
func TestRunRefusesBadRedisConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "seeds without REDIS_CLUSTER", env: map[string]string{"REDIS_ADDR": "127.0.0.1:1,127.0.0.1:2"}, want: "REDIS_CLUSTER"},
		{name: "a database on a cluster", env: map[string]string{"REDIS_CLUSTER": "true", "REDIS_DB": "3"}, want: "REDIS_DB"},
		{name: "replica wait longer than a request", env: map[string]string{"REDIS_CLUSTER": "true",
			"REDIS_REPLICA_ACK_TIMEOUT": "3s", "REQUEST_TIMEOUT": "2s"}, want: "REDIS_REPLICA_ACK_TIMEOUT"},
		{name: "acks below -1", env: map[string]string{"REDIS_MIN_REPLICA_ACKS": "-5"}, want: "REDIS_MIN_REPLICA_ACKS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			if code := Run(nil, &stdout, &stderr, Function{Name: "probe"}); code != 2 {
				t.Fatalf("exit code %d, want 2; stderr: %s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("stderr does not name %s: %s", tt.want, stderr.String())
			}
		})
	}
}
