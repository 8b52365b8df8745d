package getproduct_test

import (
	"testing"

	"seckill/functions/getproduct"
	"seckill/functions/server/servertest"
)

func TestGetProduct(t *testing.T) {
	env := servertest.New(t, getproduct.Function)
	p := servertest.MustProduct(t, env.Store)
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantCode   string
	}{
		{"found", "/products/" + p.ID, 200, ""},
		{"unknown", "/products/doesnotexist", 404, "product_not_found"},
		{"invalid id", "/products/bad%7Bid%7D", 400, "invalid_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: "GET", Path: tt.path})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("got %d %s, want %d %q", resp.Status, resp.Body, tt.wantStatus, tt.wantCode)
			}
			if tt.wantStatus == 200 {
				if got := resp.JSON(t); got["id"] != p.ID || got["name"] != p.Name {
					t.Fatalf("got %v, want product %s", got, p.ID)
				}
			}
		})
	}
}
