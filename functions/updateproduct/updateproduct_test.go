package updateproduct_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"seckill/functions/getproduct"
	"seckill/functions/httpapi"
	"seckill/functions/server/servertest"
	"seckill/functions/updateproduct"
	"seckill/redislib/sale"
)

func TestUpdateProduct(t *testing.T) {
	env := servertest.New(t, updateproduct.Function, getproduct.Function)
	ctx := context.Background()
	deleted := servertest.MustProduct(t, env.Store)
	if _, err := env.Store.DeleteProduct(ctx, deleted.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		body       any
		path       string // default: a fresh product
		noAdmin    bool
		header     map[string]string
		wantStatus int
		wantCode   string
		want       map[string]any // fields of the answer
	}{
		{name: "name only", body: `{"name":"New name"}`, wantStatus: 200,
			want: map[string]any{"name": "New name", "description": "for tests", "price": 1999.0, "deleted": false}},
		{name: "every field", body: `{"name":"N","description":"D","price":0}`, wantStatus: 200,
			want: map[string]any{"name": "N", "description": "D", "price": 0.0}},
		{name: "clear description", body: `{"description":""}`, wantStatus: 200, want: map[string]any{"description": "", "name": "Test product"}},
		{name: "max price", body: `{"price":100000000000}`, wantStatus: 200, want: map[string]any{"price": 1e11}},
		{name: "no token", body: `{"name":"x"}`, noAdmin: true, wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
		{name: "wrong token", body: `{"name":"x"}`, noAdmin: true, header: map[string]string{"Authorization": "Bearer nope"},
			wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
		{name: "empty body", body: "", wantStatus: 400, wantCode: httpapi.CodeEmptyBody},
		{name: "malformed", body: `{"name":`, wantStatus: 400, wantCode: httpapi.CodeMalformedJSON},
		{name: "unknown field", body: `{"nom":"x"}`, wantStatus: 400, wantCode: httpapi.CodeUnknownField},
		{name: "wrong type", body: `{"price":"1"}`, wantStatus: 400, wantCode: httpapi.CodeInvalidFieldType},
		{name: "nothing to change", body: `{}`, wantStatus: 400, wantCode: sale.CodeEmptyUpdate},
		{name: "empty name", body: `{"name":""}`, wantStatus: 400, wantCode: sale.CodeInvalidName},
		{name: "long name", body: `{"name":"` + strings.Repeat("n", sale.MaxNameLen+1) + `"}`, wantStatus: 400, wantCode: sale.CodeInvalidName},
		{name: "control char in name", body: `{"name":"a\u0007"}`, wantStatus: 400, wantCode: sale.CodeInvalidName},
		{name: "long description", body: `{"description":"` + strings.Repeat("d", sale.MaxDescriptionLen+1) + `"}`,
			wantStatus: 400, wantCode: sale.CodeInvalidDescription},
		{name: "negative price", body: `{"price":-1}`, wantStatus: 400, wantCode: sale.CodeInvalidPrice},
		{name: "price too high", body: `{"price":100000000001}`, wantStatus: 400, wantCode: sale.CodeInvalidPrice},
		{name: "valid field then invalid", body: `{"name":"ok","price":-1}`, wantStatus: 400, wantCode: sale.CodeInvalidPrice},
		{name: "bad id", path: "/products/bad-id!", body: `{"name":"x"}`, wantStatus: 400, wantCode: sale.CodeInvalidID},
		{name: "unknown product", path: "/products/nosuchproduct", body: `{"name":"x"}`, wantStatus: 404, wantCode: sale.CodeProductNotFound},
		{name: "deleted product", path: "/products/" + deleted.ID, body: `{"name":"x"}`, wantStatus: 409, wantCode: sale.CodeProductIsDeleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := servertest.MustProduct(t, env.Store)
			path := tt.path
			if path == "" {
				path = "/products/" + p.ID
			}
			before := env.Do(t, servertest.Request{Method: http.MethodGet, Path: path})
			resp := env.Do(t, servertest.Request{Method: http.MethodPatch, Path: path, Body: tt.body, Admin: !tt.noAdmin, Header: tt.header})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q: %s", resp.Status, resp.ErrorCode(), tt.wantStatus, tt.wantCode, resp.Body)
			}
			after := env.Do(t, servertest.Request{Method: http.MethodGet, Path: path})
			if tt.wantStatus != 200 {
				if string(after.Body) != string(before.Body) {
					t.Fatalf("a refused update changed the product:\n%s\n%s", before.Body, after.Body)
				}
				return
			}
			got := resp.JSON(t)
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			if got["id"] != p.ID || got["created_at"] != before.JSON(t)["created_at"] {
				t.Errorf("id or created_at changed: %s", resp.Body)
			}
			if mustTime(t, got["updated_at"]).Before(mustTime(t, got["created_at"])) {
				t.Errorf("updated_at %v before created_at %v", got["updated_at"], got["created_at"])
			}
			if string(after.Body) != string(resp.Body) {
				t.Errorf("stored product differs from the answer:\n%s\n%s", after.Body, resp.Body)
			}
		})
	}
}

func mustTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("not a time: %v", v)
	}
	return tm
}
