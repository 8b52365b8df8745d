package deleteproduct_test

import (
	"net/http"
	"testing"

	"seckill/functions/deleteproduct"
	"seckill/functions/getactivity"
	"seckill/functions/getproduct"
	"seckill/functions/httpapi"
	"seckill/functions/listproducts"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

func TestDeleteProduct(t *testing.T) {
	env := servertest.New(t, deleteproduct.Function, getproduct.Function, getactivity.Function, listproducts.Function)
	idOf := func(p sale.Product) string { return p.ID }
	productOf := func(a sale.Activity) string { return a.ProductID }
	tests := []struct {
		name       string
		product    func() string
		noAdmin    bool
		header     map[string]string
		wantStatus int
		wantCode   string
	}{
		{name: "unused product", product: func() string { return idOf(servertest.MustProduct(t, env.Store)) }, wantStatus: 200},
		{name: "only ended activity", product: func() string { return productOf(servertest.MustEnded(t, env.Store, 2)) }, wantStatus: 200},
		{name: "only cancelled activity", product: func() string { return productOf(servertest.MustCancelled(t, env.Store, 2)) }, wantStatus: 200},
		{name: "scheduled activity", product: func() string { return productOf(servertest.MustScheduled(t, env.Store, 2)) },
			wantStatus: 409, wantCode: sale.CodeProductInUse},
		{name: "running activity", product: func() string { return productOf(servertest.MustActivity(t, env.Store, 2)) },
			wantStatus: 409, wantCode: sale.CodeProductInUse},
		{name: "sold-out activity", product: func() string { return productOf(servertest.MustSoldOut(t, env.Store)) },
			wantStatus: 409, wantCode: sale.CodeProductInUse},
		{name: "no token", product: func() string { return idOf(servertest.MustProduct(t, env.Store)) }, noAdmin: true,
			wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
		{name: "wrong token", product: func() string { return idOf(servertest.MustProduct(t, env.Store)) }, noAdmin: true,
			header: map[string]string{"Authorization": "Bearer " + servertest.AdminToken + "x"}, wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
		{name: "unknown product", product: func() string { return "nosuchproduct" }, wantStatus: 404, wantCode: sale.CodeProductNotFound},
		{name: "bad id", product: func() string { return "a.b" }, wantStatus: 400, wantCode: sale.CodeInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.product()
			path := "/products/" + id
			resp := env.Do(t, servertest.Request{Method: http.MethodDelete, Path: path, Admin: !tt.noAdmin, Header: tt.header})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q: %s", resp.Status, resp.ErrorCode(), tt.wantStatus, tt.wantCode, resp.Body)
			}
			listed := false
			list := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/products?limit=100"})
			var page sale.Page[sale.Product]
			list.Decode(t, &page)
			for _, p := range page.Items {
				listed = listed || p.ID == id
			}
			get := env.Do(t, servertest.Request{Method: http.MethodGet, Path: path})
			if tt.wantStatus != 200 {
				if get.Status == 200 && (get.JSON(t)["deleted"] != false || !listed) {
					t.Fatalf("a refused delete changed the product: %s (listed %v)", get.Body, listed)
				}
				return
			}
			if resp.JSON(t)["deleted"] != true || get.JSON(t)["deleted"] != true || listed {
				t.Fatalf("answer %s, stored %s, still listed %v", resp.Body, get.Body, listed)
			}
			again := env.Do(t, servertest.Request{Method: http.MethodDelete, Path: path, Admin: true})
			if again.Status != 200 || string(again.Body) != string(get.Body) {
				t.Fatalf("second delete: %d %s, want 200 %s", again.Status, again.Body, get.Body)
			}
		})
	}
}

// TestDeletedProductStaysReadable deletes the product of an ended activity:
// the activity still names it and the product reads with deleted true.
func TestDeletedProductStaysReadable(t *testing.T) {
	env := servertest.New(t, deleteproduct.Function, getproduct.Function, getactivity.Function)
	a := servertest.MustEnded(t, env.Store, 3)
	if resp := env.Do(t, servertest.Request{Method: http.MethodDelete, Path: "/products/" + a.ProductID, Admin: true}); resp.Status != 200 {
		t.Fatalf("delete: %d %s", resp.Status, resp.Body)
	}
	act := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/activities/" + a.ID}).JSON(t)
	prod := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/products/" + a.ProductID}).JSON(t)
	if act["product_id"] != a.ProductID || prod["deleted"] != true || prod["name"] != "Test product" {
		t.Fatalf("activity %v, product %v", act, prod)
	}
}
