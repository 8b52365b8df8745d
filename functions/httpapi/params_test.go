package httpapi_test

import (
	"net/http/httptest"
	"testing"
	"unsafe"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
)

// The path readers return copies: c.Params aliases the request buffer, which
// Fiber reuses for the next request, and an ID may outlive its request in
// the store's memory (sold-out leases are keyed by activity ID).
func TestPathParamsAreCopies(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		param string
		read  func(*fiber.Ctx, string) (string, error)
		want  string
	}{
		{name: "PathID", path: "/a/c1b5cbdc9d605a63", param: "id", read: httpapi.PathID, want: "c1b5cbdc9d605a63"},
		{name: "PathOrderID", path: "/a/c1b5cbdc9d605a63-1d185b2b94945cfa", param: "id", read: httpapi.PathOrderID,
			want: "c1b5cbdc9d605a63-1d185b2b94945cfa"},
		{name: "PathUserID", path: "/a/alice", param: "id", read: httpapi.PathUserID, want: "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := fiber.New()
			var got string
			var aliased bool
			app.Get("/a/:id", func(c *fiber.Ctx) error {
				id, err := tt.read(c, tt.param)
				if err != nil {
					return err
				}
				raw := c.Params(tt.param)
				got, aliased = id, unsafe.StringData(id) == unsafe.StringData(raw)
				return c.SendStatus(204)
			})
			resp, err := app.Test(httptest.NewRequest("GET", tt.path, nil))
			if err != nil || resp.StatusCode != 204 {
				t.Fatalf("GET %s: %v %v", tt.path, resp, err)
			}
			if got != tt.want {
				t.Errorf("%s = %q, want %q", tt.name, got, tt.want)
			}
			if aliased {
				t.Errorf("%s returned the request buffer itself, not a copy", tt.name)
			}
		})
	}
}
