package all_test

import (
	"fmt"
	"testing"

	"seckill/functions/all"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

// TestReadsAreRateLimited: the reads that tell who won cannot be swept.
// One client address asking for many users (or orders) is refused past its
// IP burst; one user asked for again and again is refused past the user's
// burst, whatever the address.
func TestReadsAreRateLimited(t *testing.T) {
	srv := redistest.Start(t)
	env := servertest.NewOn(t, srv)
	d := env.Deps
	d.Config.RateLimitIPRPS, d.Config.RateLimitIPBurst = 0.01, 3
	d.Config.RateLimitReadRPS, d.Config.RateLimitReadBurst = 0.01, 2
	d.Config.ProxyHeader, d.Config.TrustedProxies = "X-Forwarded-For", []string{"0.0.0.0"}
	app := server.NewApp(d, nil, all.Functions...)
	a := redistest.MustActivity(t, env.Store, 5)
	redistest.MustWin(t, env.Store, a.ID, "alice")

	for _, route := range []struct {
		name string
		path func(i int) string
	}{
		{"result", func(i int) string { return fmt.Sprintf("/activities/%s/purchases/guess%d", a.ID, i) }},
		{"history", func(i int) string { return fmt.Sprintf("/users/guess%d/orders", i) }},
		{"order", func(i int) string { return fmt.Sprintf("/orders/%s-%016x", a.ID, i) }},
	} {
		t.Run(route.name+" swept from one address", func(t *testing.T) {
			from := "192.0.2." + fmt.Sprint(len(route.name))
			for i := range 5 {
				resp := servertest.Do(t, app, servertest.Request{Method: "GET", Path: route.path(i),
					Header: map[string]string{"X-Forwarded-For": from}})
				if want := i >= 3; (resp.Status == 429) != want || resp.Status == 429 && resp.ErrorCode() != "rate_limited" {
					t.Fatalf("request %d: %d %s; want 429 rate_limited only past the IP burst of 3", i, resp.Status, resp.Body)
				}
			}
		})
	}
	t.Run("one user from many addresses", func(t *testing.T) {
		for i := range 4 {
			resp := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/activities/" + a.ID + "/purchases/alice",
				Header: map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i+1)}})
			if want := i >= 2; (resp.Status == 429) != want {
				t.Fatalf("request %d: %d %s; want 429 only past the user burst of 2", i, resp.Status, resp.Body)
			}
		}
	})
}
