package server_test

import (
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/server"
)

// TestCheckRoutes: a route must say who may call it with exactly one of
// Admin, User, Owner and Public, so a new route that acts for a user cannot
// be served open by omission.
func TestCheckRoutes(t *testing.T) {
	h := func(server.Deps) fiber.Handler { return nil }
	for _, tt := range []struct {
		name  string
		route server.Route
		want  string
	}{
		{"admin", server.Route{Method: "GET", Path: "/a", Admin: true, Handler: h}, ""},
		{"user", server.Route{Method: "GET", Path: "/u/:id", User: auth.UserInParam("id"), Handler: h}, ""},
		{"owner", server.Route{Method: "GET", Path: "/o/:id", Owner: true, AdminActsForUser: true, Handler: h}, ""},
		{"public", server.Route{Method: "GET", Path: "/p", Public: true, Handler: h}, ""},
		{"none", server.Route{Method: "POST", Path: "/queue", Handler: h}, "POST /queue: declare exactly one of Admin, User, Owner and Public (it has 0)"},
		{"two", server.Route{Method: "GET", Path: "/x", Public: true, User: auth.UserInBody, Handler: h}, "(it has 2)"},
	} {
		err := server.CheckRoutes(server.Function{Name: "f", Routes: []server.Route{tt.route}})
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}
