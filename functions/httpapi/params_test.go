package httpapi_test

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"
	"unsafe"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/redislib/sale"
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

func TestParsePageQuery(t *testing.T) {
	first, err := httpapi.ParsePageQuery("", "")
	if err != nil || first.Limit != sale.DefaultPageLimit || first.After != nil {
		t.Fatalf("defaults: %+v, %v", first, err)
	}
	valid := base64.RawURLEncoding.EncodeToString([]byte("1700000000000:abc"))
	tests := []struct {
		name, cursor, limit string
		wantCode            string
		wantLimit           int
	}{
		{name: "limit 1", limit: "1", wantLimit: 1},
		{name: "limit 100", limit: "100", wantLimit: 100},
		{name: "valid cursor", cursor: valid, wantLimit: 20},
		{name: "limit 0", limit: "0", wantCode: sale.CodeInvalidLimit},
		{name: "limit 101", limit: "101", wantCode: sale.CodeInvalidLimit},
		{name: "limit negative", limit: "-5", wantCode: sale.CodeInvalidLimit},
		{name: "limit text", limit: "ten", wantCode: sale.CodeInvalidLimit},
		{name: "limit fraction", limit: "1.5", wantCode: sale.CodeInvalidLimit},
		{name: "cursor not base64", cursor: "!!!", wantCode: sale.CodeInvalidCursor},
		{name: "cursor without member", cursor: base64.RawURLEncoding.EncodeToString([]byte("17:")), wantCode: sale.CodeInvalidCursor},
		{name: "cursor without separator", cursor: base64.RawURLEncoding.EncodeToString([]byte("17abc")), wantCode: sale.CodeInvalidCursor},
		{name: "cursor score not a number", cursor: base64.RawURLEncoding.EncodeToString([]byte("x:abc")), wantCode: sale.CodeInvalidCursor},
		{name: "cursor score infinite", cursor: base64.RawURLEncoding.EncodeToString([]byte("inf:abc")), wantCode: sale.CodeInvalidCursor},
		{name: "cursor member with control char", cursor: base64.RawURLEncoding.EncodeToString([]byte("1:a\x01")), wantCode: sale.CodeInvalidCursor},
		{name: "cursor too long", cursor: base64.RawURLEncoding.EncodeToString(make([]byte, 600)), wantCode: sale.CodeInvalidCursor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := httpapi.ParsePageQuery(tt.cursor, tt.limit)
			if got := sale.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code %q, want %q (err %v)", got, tt.wantCode, err)
			}
			if tt.wantCode == "" && q.Limit != tt.wantLimit {
				t.Fatalf("limit %d, want %d", q.Limit, tt.wantLimit)
			}
		})
	}
}
