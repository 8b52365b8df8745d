package storefront_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"seckill/functions/auth"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/functions/storefront"
	"seckill/functions/telemetry"
	"seckill/redislib/sale"
)

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPageAndAssets checks what the browser gets: types, the content
// security policy of the page, gzip when (and only when) accepted, and 304
// for a matching ETag.
func TestPageAndAssets(t *testing.T) {
	env := servertest.New(t, storefront.Function)
	gz := map[string]string{"Accept-Encoding": "gzip, deflate, br"}
	tests := []struct {
		name       string
		path       string
		header     map[string]string
		wantStatus int
		wantType   string
		wantGzip   bool
		wantBody   string // a part of the (decompressed) body
	}{
		{"page", "/", nil, 200, "text/html; charset=utf-8", false, `<script src="/storefront.js" defer></script>`},
		{"page of a sale", "/?activity=abc", gz, 200, "text/html; charset=utf-8", true, `<meta name="seckill-user-auth" content="user-id">`},
		{"script", "/storefront.js", gz, 200, "text/javascript; charset=utf-8", true, `api('GET', '/time')`},
		{"script without Accept-Encoding", "/storefront.js", nil, 200, "text/javascript; charset=utf-8", false, `'use strict';`},
		{"gzip refused", "/storefront.js", map[string]string{"Accept-Encoding": "gzip;q=0, br"}, 200, "text/javascript; charset=utf-8", false, `'use strict';`},
		{"style", "/storefront.css", gz, 200, "text/css; charset=utf-8", true, `.buy {`},
		{"no such asset", "/storefront.map", nil, 404, "application/json", false, `"code":"not_found"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: tt.path, Header: tt.header})
			if r.Status != tt.wantStatus || !strings.HasPrefix(r.Header.Get("Content-Type"), tt.wantType) {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Header.Get("Content-Type"), tt.wantStatus, tt.wantType)
			}
			body := r.Body
			if gotGzip := r.Header.Get("Content-Encoding") == "gzip"; gotGzip != tt.wantGzip {
				t.Fatalf("Content-Encoding %q, want gzip %v", r.Header.Get("Content-Encoding"), tt.wantGzip)
			} else if gotGzip {
				body = gunzip(t, body)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Fatalf("body lacks %q: %.300s", tt.wantBody, body)
			}
			if r.Status != 200 {
				return
			}
			if r.Header.Get("Vary") != "Accept-Encoding" || r.Header.Get("Cache-Control") != "no-cache" || r.Header.Get("ETag") == "" {
				t.Fatalf("Vary %q, Cache-Control %q, ETag %q: want Accept-Encoding, no-cache and an ETag",
					r.Header.Get("Vary"), r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
			}
			// The same ETag again: 304 and no body.
			h := map[string]string{"If-None-Match": r.Header.Get("ETag")}
			for k, v := range tt.header {
				h[k] = v
			}
			again := env.Do(t, servertest.Request{Method: http.MethodGet, Path: tt.path, Header: h})
			if again.Status != http.StatusNotModified || len(again.Body) != 0 {
				t.Fatalf("with If-None-Match %s: %d, %d bytes; want 304 and no body", h["If-None-Match"], again.Status, len(again.Body))
			}
			// Another representation (gzipped or not) has another ETag.
			other := map[string]string{"Accept-Encoding": "gzip"}
			if tt.wantGzip {
				other = nil
			}
			if o := env.Do(t, servertest.Request{Method: http.MethodGet, Path: tt.path, Header: other}); o.Header.Get("ETag") == r.Header.Get("ETag") {
				t.Fatalf("gzipped and plain share the ETag %s", o.Header.Get("ETag"))
			}
		})
	}
}

// TestPageIsSelfContained checks that the page loads nothing from another
// origin (so it works offline) and that its policy forbids it too.
func TestPageIsSelfContained(t *testing.T) {
	env := servertest.New(t, storefront.Function)
	page := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/"})
	csp := page.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %s", csp, want)
		}
	}
	external := regexp.MustCompile(`(?i)\b(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|@import|url\(`)
	total := 0
	for _, path := range []string{"/", "/storefront.js", "/storefront.css"} {
		r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: path})
		if m := external.Find(r.Body); m != nil {
			t.Errorf("%s refers to another origin: %q", path, m)
		}
		total += len(r.Body)
	}
	// Small: no framework, no bundle. A change that needs more says so here.
	if total > 48<<10 {
		t.Errorf("page, script and style are %d bytes together; the budget is 48 KiB", total)
	}
}

// TestPageAsksForTokenWithUserJWT checks that the page asks for a token, not
// a user ID, when user routes need one.
func TestPageAsksForTokenWithUserJWT(t *testing.T) {
	tests := []struct {
		name string
		cfg  server.Config
		want string
	}{
		{"USER_AUTH=off", server.Config{TokenConfig: auth.TokenConfig{UserAuth: auth.UserAuthOff}}, `content="user-id"`},
		{"on by default", server.Config{}, `content="jwt"`},
		{"HS256 secret", server.Config{TokenConfig: auth.TokenConfig{UserJWTSecret: strings.Repeat("s", 32)}}, `content="jwt"`},
		{"public key", server.Config{TokenConfig: auth.TokenConfig{UserJWTPublicKey: "/etc/keys/users.pem"}}, `content="jwt"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := server.NewApp(server.Deps{Log: telemetry.NewLogger(io.Discard, "error"), Config: tt.cfg}, nil,
				server.Function{Name: "page", Routes: storefront.Function.Routes[:1]})
			r := servertest.Do(t, app, servertest.Request{Method: http.MethodGet, Path: "/"})
			if r.Status != 200 || !strings.Contains(string(r.Body), `<meta name="seckill-user-auth" `+tt.want+`>`) {
				t.Fatalf("%d, want 200 with %s: %.400s", r.Status, tt.want, r.Body)
			}
		})
	}
}

// TestTime checks GET /time against Redis's clock read around it, and that
// it is 503 when Redis is down.
func TestTime(t *testing.T) {
	env := servertest.New(t, storefront.Function)
	rdb := env.Redis.Client(t)
	before, err := rdb.Time(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/time"})
	after, err := rdb.Time(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	var clock storefront.Clock
	r.Decode(t, &clock)
	if r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%d, Cache-Control %q: want 200, no-store", r.Status, r.Header.Get("Cache-Control"))
	}
	if clock.Now.Before(before.Truncate(time.Millisecond)) || clock.Now.After(after) {
		t.Fatalf("now %v is not Redis's clock (between %v and %v)", clock.Now, before, after)
	}

	env.Redis.Kill()
	r = env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/time"})
	if r.Status != 503 || r.ErrorCode() != sale.CodeStoreUnavailable {
		t.Fatalf("with Redis down: %d %s, want 503 store_unavailable", r.Status, r.Body)
	}
}
