package auth_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

var adminFunction = server.Function{Name: "admintest", Routes: []server.Route{
	{Method: "POST", Path: "/admin", Admin: true, Handler: ok},
}}

func TestAdminAuth(t *testing.T) {
	srv := redistest.Start(t)
	tok := servertest.AdminToken
	tests := []struct {
		name       string
		configured string
		header     string
		want       int
	}{
		{"right token", tok, "Bearer " + tok, 200},
		{"no header", tok, "", 401},
		{"no scheme", tok, tok, 401},
		{"basic scheme", tok, "Basic " + tok, 401},
		{"last byte wrong", tok, "Bearer " + tok[:len(tok)-1] + "X", 401},
		{"prefix of the token", tok, "Bearer " + tok[:len(tok)-1], 401},
		{"token plus a byte", tok, "Bearer " + tok + "x", 401},
		{"empty bearer", tok, "Bearer ", 401},
		{"lower-case scheme", tok, "bearer " + tok, 200},
		{"spaces around the token", tok, "Bearer   " + tok + " ", 200},
		{"scheme without a space", tok, "Bearer" + tok, 401},
		{"nothing configured, empty bearer", "", "Bearer ", 401},
		{"nothing configured, any token", "", "Bearer " + tok, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := servertest.NewOn(t, srv)
			d := env.Deps
			d.Config.AdminToken = tt.configured
			app := server.NewApp(d, nil, adminFunction)
			req := servertest.Request{Method: "POST", Path: "/admin", Body: `{}`}
			if tt.header != "" {
				req.Header = map[string]string{"Authorization": tt.header}
			}
			resp := servertest.Do(t, app, req)
			if resp.Status != tt.want {
				t.Fatalf("got %d %s, want %d", resp.Status, resp.Body, tt.want)
			}
			if tt.want == 401 && resp.ErrorCode() != httpapi.CodeUnauthorized {
				t.Fatalf("code %q, want unauthorized", resp.ErrorCode())
			}
		})
	}
}

// TestAdminTokenComparedInConstantTime checks the source: every function
// that sees the admin token compares it with subtle.ConstantTimeCompare, or
// leaves the comparison to isAdmin, which does, and never with == or !=
// (except against a literal such as "", which reveals nothing). A timing
// measurement would be flaky; this fails for certain on a regression.
func TestAdminTokenComparedInConstantTime(t *testing.T) {
	fset := token.NewFileSet()
	names, _ := filepath.Glob("*.go")
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	checked := map[string]bool{"AdminAuth": false, "isAdmin": false, "OptionalAdmin": false}
	{
		for _, f := range files {
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok {
					continue
				}
				if _, want := checked[fn.Name.Name]; !want {
					continue
				}
				constantTime := false
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.SelectorExpr:
						if id, ok := n.X.(*ast.Ident); ok && id.Name == "subtle" && n.Sel.Name == "ConstantTimeCompare" {
							constantTime = true
						}
					case *ast.CallExpr:
						if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "isAdmin" && fn.Name.Name != "isAdmin" {
							constantTime = true
						}
					case *ast.BinaryExpr:
						if n.Op != token.EQL && n.Op != token.NEQ {
							break
						}
						for _, side := range []ast.Expr{n.X, n.Y} {
							// Against a literal ("" or ConstantTimeCompare's 1) reveals nothing.
							if _, ok := side.(*ast.BasicLit); ok {
								return true
							}
						}
						if mentionsToken(n.X) || mentionsToken(n.Y) {
							t.Errorf("%s: %s compares the token with %s", fset.Position(n.Pos()), fn.Name.Name, n.Op)
						}
					}
					return true
				})
				if !constantTime {
					t.Errorf("%s uses neither subtle.ConstantTimeCompare nor isAdmin", fn.Name.Name)
				}
				checked[fn.Name.Name] = true
			}
		}
	}
	for name, seen := range checked {
		if !seen {
			t.Errorf("function %s not found", name)
		}
	}
}

func mentionsToken(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && (strings.Contains(strings.ToLower(id.Name), "token") || id.Name == "key" || id.Name == "tok") {
			found = true
		}
		return true
	})
	return found
}

// TestRunRefusesToStartOpen runs Run itself: a function with admin routes and
// no ADMIN_TOKEN exits 1 before serving anything.
func TestRunRefusesToStartOpen(t *testing.T) {
	for _, unset := range []bool{false, true} {
		t.Setenv("ADMIN_TOKEN", "")
		if unset {
			os.Unsetenv("ADMIN_TOKEN")
		}
		t.Setenv("PORT", "0")
		t.Setenv("REDIS_ADDR", "127.0.0.1:1")
		var out, errOut bytes.Buffer
		code := server.Run(nil, &out, &errOut, adminFunction)
		if code != 1 || !strings.Contains(out.String(), "ADMIN_TOKEN is not set") {
			t.Fatalf("Run = %d, output %q %q; want 1 and a message about ADMIN_TOKEN", code, out.String(), errOut.String())
		}
	}
}

// TestRunRefusesBadSecurityConfig: unusable user-token or proxy settings stop
// Run with exit 2, and the message never shows the secret.
func TestRunRefusesBadSecurityConfig(t *testing.T) {
	const short = "too-short-secret-value"
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"short JWT secret", map[string]string{"USER_JWT_SECRET": short}, "USER_JWT_SECRET"},
		{"unreadable public key", map[string]string{"USER_JWT_PUBLIC_KEY": "/no/such/key.pem"}, "USER_JWT_PUBLIC_KEY"},
		{"proxy header from anyone", map[string]string{"PROXY_HEADER": "X-Forwarded-For"}, "TRUSTED_PROXIES"},
		{"burst 0", map[string]string{"RATE_LIMIT_USER_BURST": "0"}, "RATE_LIMIT_USER_BURST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ADMIN_TOKEN", "x")
			t.Setenv("REDIS_ADDR", "127.0.0.1:1")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			code := server.Run(nil, &out, &errOut, adminFunction)
			all := out.String() + errOut.String()
			if code != 2 || !strings.Contains(all, tt.want) {
				t.Fatalf("Run = %d, output %q; want 2 and %q", code, all, tt.want)
			}
			if strings.Contains(all, short) {
				t.Fatalf("the output shows the secret: %q", all)
			}
		})
	}
}

// TestBearerHeaderReadOneWay sends the same Authorization headers to the
// three places that look for the admin token: an admin route (AdminAuth), a
// route that users and admins share (OptionalAdmin), and a user route the
// admin may act on (with user tokens on). Each header must be the admin token
// for all three or for none.
func TestBearerHeaderReadOneWay(t *testing.T) {
	tok := servertest.AdminToken
	fn := server.Function{Name: "bearertest", Routes: []server.Route{
		{Method: "POST", Path: "/admin", Admin: true, Handler: ok},
		{Method: "POST", Path: "/shared", Handler: func(d server.Deps) fiber.Handler {
			return func(c *fiber.Ctx) error {
				admin, err := auth.OptionalAdmin(c, d.Config.AdminToken)
				if err != nil {
					return err
				}
				return c.JSON(fiber.Map{"admin": admin})
			}
		}},
		{Method: "POST", Path: "/for-user", User: auth.UserInBody, AdminActsForUser: true, Handler: ok},
	}}
	env := servertest.NewOn(t, redistest.Start(t))
	d := env.Deps
	d.Config.UserAuth, d.Config.UserJWTSecret = "on", secret
	app := server.NewApp(d, nil, fn)
	for _, tc := range []struct {
		name, header string
		admin        bool
	}{
		{"canonical", "Bearer " + tok, true},
		{"lower-case scheme", "bearer " + tok, true},
		{"upper-case scheme, spaces", "BEARER   " + tok + "  ", true},
		{"wrong token", "Bearer " + tok + "x", false},
		{"scheme only", "Bearer", false},
		{"empty token", "Bearer    ", false},
		{"no scheme", tok, false},
		{"basic", "Basic " + tok, false},
		{"scheme glued to the token", "Bearer" + tok, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": tc.header}
			body := `{"user_id":"alice"}`
			wantStatus := map[bool]int{true: 200, false: 401}[tc.admin]
			for _, path := range []string{"/admin", "/shared", "/for-user"} {
				r := servertest.Do(t, app, servertest.Request{Method: "POST", Path: path, Body: body, Header: h})
				if r.Status != wantStatus {
					t.Errorf("%s: %d %s, want %d", path, r.Status, r.Body, wantStatus)
				} else if r.Status == 401 && r.ErrorCode() != httpapi.CodeUnauthorized && r.ErrorCode() != httpapi.CodeInvalidToken {
					t.Errorf("%s: code %q, want unauthorized or invalid_token", path, r.ErrorCode())
				}
				if path == "/shared" && r.Status == 200 && r.JSON(t)["admin"] != true {
					t.Errorf("/shared: %s, want admin", r.Body)
				}
			}
		})
	}
}
