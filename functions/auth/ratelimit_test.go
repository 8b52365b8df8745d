package auth_test

import (
	"net"
	"net/http"
	"testing"

	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

// TestRateLimitSpoofedForwardedFor serves on a real socket behind a gateway
// configured as the only trusted proxy. A client that is not the gateway
// sends a new X-Forwarded-For with every request: it is limited by its own
// address all the same. From the gateway's address, the same header is
// honoured (each forwarded client has its own bucket), which shows the test
// would see a spoof that worked.
func TestRateLimitSpoofedForwardedFor(t *testing.T) {
	srv := redistest.Start(t)
	for _, tt := range []struct {
		name    string
		trusted string
		want    []int
	}{
		{"untrusted peer", "192.0.2.10", []int{200, 200, 429, 429}},
		{"trusted gateway", "127.0.0.1", []int{200, 200, 200, 200}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := newApp(t, srv, func(c *server.Config) {
				c.RateLimitIPRPS, c.RateLimitIPBurst = 0.01, 2
				c.ProxyHeader, c.TrustedProxies = "X-Forwarded-For", []string{tt.trusted}
			})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = app.Listener(ln) }()
			t.Cleanup(func() { _ = app.Shutdown() })
			// Each subtest's own client addresses, as the rate-limit buckets
			// outlive a subtest in the shared Redis.
			spoofed := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"}
			if tt.trusted == "127.0.0.1" {
				spoofed = []string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"}
			}
			for i, ip := range spoofed {
				req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/ip-limited", nil)
				req.Header.Set("X-Forwarded-For", ip)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.want[i] {
					t.Fatalf("request %d (X-Forwarded-For: %s): %d, want %d", i, ip, resp.StatusCode, tt.want[i])
				}
			}
		})
	}
}

// TestRateLimitIPv6Prefix: the addresses of one IPv6 /64 share a bucket;
// another /64 has its own, as does each IPv4 address.
func TestRateLimitIPv6Prefix(t *testing.T) {
	app := newApp(t, redistest.Start(t), func(c *server.Config) {
		c.RateLimitIPRPS, c.RateLimitIPBurst = 0.01, 1
		c.ProxyHeader, c.TrustedProxies = "X-Forwarded-For", []string{"0.0.0.0"}
	})
	from := func(ip string) int {
		return servertest.Do(t, app, servertest.Request{Method: "POST", Path: "/ip-limited", Body: `{}`,
			Header: map[string]string{"X-Forwarded-For": ip}}).Status
	}
	for _, tt := range []struct {
		ip   string
		want int
	}{
		{"2001:db8:1:2::1", 200},
		{"2001:db8:1:2:ffff:ffff:ffff:fffe", 429}, // same /64
		{"2001:db8:1:3::1", 200},                  // next /64
		{"192.0.2.7", 200},
		{"192.0.2.8", 200},
		{"192.0.2.7", 429},
	} {
		if got := from(tt.ip); got != tt.want {
			t.Errorf("from %s: %d, want %d", tt.ip, got, tt.want)
		}
	}
}
