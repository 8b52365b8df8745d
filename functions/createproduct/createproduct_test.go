package createproduct_test

import (
	"strings"
	"testing"

	"seckill/functions/createproduct"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestCreateProduct(t *testing.T) {
	env := servertest.New(t, createproduct.Function)
	tests := []struct {
		name       string
		admin      bool
		body       any
		wantStatus int
		wantCode   string
	}{
		{"created", true, `{"name":"Phone","description":"128 GB","price":19900}`, 201, ""},
		{"description optional, price zero", true, `{"name":"Gift","price":0}`, 201, ""},
		{"no token", false, `{"name":"Phone","price":1}`, 401, "unauthorized"},
		{"empty body", true, ``, 400, "empty_body"},
		{"malformed", true, `{"name":`, 400, "malformed_json"},
		{"trailing data", true, `{"name":"a","price":1}{}`, 400, "malformed_json"},
		{"not an object", true, `[1]`, 400, "invalid_field_type"},
		{"unknown field", true, `{"name":"a","price":1,"color":"red"}`, 400, "unknown_field"},
		{"price wrong type", true, `{"name":"a","price":"1"}`, 400, "invalid_field_type"},
		{"price fractional", true, `{"name":"a","price":1.5}`, 400, "invalid_field_type"},
		{"missing name", true, `{"price":1}`, 400, "missing_field"},
		{"missing price", true, `{"name":"a"}`, 400, "missing_field"},
		{"empty name", true, `{"name":"","price":1}`, 400, "invalid_name"},
		{"long name", true, `{"name":"` + strings.Repeat("x", 201) + `","price":1}`, 400, "invalid_name"},
		{"control character", true, `{"name":"a\u0000b","price":1}`, 400, "invalid_name"},
		{"long description", true, `{"name":"a","description":"` + strings.Repeat("x", 2001) + `","price":1}`, 400, "invalid_description"},
		{"negative price", true, `{"name":"a","price":-1}`, 400, "invalid_price"},
		{"huge price", true, `{"name":"a","price":100000000001}`, 400, "invalid_price"},
		{"invalid UTF-8", true, []byte("{\"name\":\"\xff\",\"price\":1}"), 400, "malformed_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: "POST", Path: "/products", Body: tt.body, Admin: tt.admin})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("got %d %s, want %d %q", resp.Status, resp.Body, tt.wantStatus, tt.wantCode)
			}
			if tt.wantStatus != 201 {
				return
			}
			var p sale.Product
			resp.Decode(t, &p)
			stored, err := env.Store.Product(t.Context(), p.ID)
			if err != nil || stored.Name != p.Name || stored.Price != p.Price || p.CreatedAt.IsZero() {
				t.Fatalf("stored %+v, %v; answered %+v", stored, err, p)
			}
		})
	}
	// Two products were created; every rejected request wrote nothing.
	if n := env.Redis.Client(t).ZCard(t.Context(), redistest.ProductsIndexKey()).Val(); n != 2 {
		t.Fatalf("products index has %d entries, want 2", n)
	}
}
