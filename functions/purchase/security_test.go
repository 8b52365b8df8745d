package purchase_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"seckill/functions/httpapi"
	"seckill/functions/purchase"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

const jwtSecret = "purchase-test-secret-of-32-bytes-or-more"

func userToken(t *testing.T, sub string) map[string]string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": sub, "exp": time.Now().Add(time.Hour).Unix()}).
		SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"Authorization": "Bearer " + s}
}

// TestPurchaseUserAuth: with USER_JWT_SECRET set, only the user named in the
// token can buy as that user; refused requests write nothing.
func TestPurchaseUserAuth(t *testing.T) {
	env := servertest.New(t)
	d := env.Deps
	d.Config.UserAuth, d.Config.UserJWTSecret = "on", jwtSecret
	app := server.NewApp(d, nil, purchase.Function)
	a := servertest.MustActivity(t, env.Store, 5)
	path := "/activities/" + a.ID + "/purchase"
	rdb := env.Redis.Client(t)
	before := rdb.DBSize(context.Background()).Val()
	for _, tt := range []struct {
		name   string
		header map[string]string
		want   int
		code   string
	}{
		{"no token", nil, 401, httpapi.CodeUnauthorized},
		{"admin token", map[string]string{"Authorization": "Bearer " + servertest.AdminToken}, 401, httpapi.CodeInvalidToken},
		{"another user's token", userToken(t, "bob"), 403, sale.CodeForbidden},
	} {
		resp := servertest.Do(t, app, servertest.Request{Method: "POST", Path: path, Body: `{"user_id":"alice"}`, Header: tt.header})
		if resp.Status != tt.want || resp.ErrorCode() != tt.code {
			t.Fatalf("%s: got %d %s, want %d %s", tt.name, resp.Status, resp.Body, tt.want, tt.code)
		}
	}
	if after := rdb.DBSize(context.Background()).Val(); after != before {
		t.Fatalf("refused requests wrote keys: %d -> %d", before, after)
	}
	resp := servertest.Do(t, app, servertest.Request{Method: "POST", Path: path, Body: `{"user_id":"alice"}`, Header: userToken(t, "alice")})
	var res sale.PurchaseResult
	resp.Decode(t, &res)
	if resp.Status != 200 || res.Outcome != sale.OutcomeWon {
		t.Fatalf("alice with her token: %d %s, want won", resp.Status, resp.Body)
	}
}

// TestPurchaseRateLimited: past the user's burst, purchases answer 429 with
// Retry-After and do not reach the purchase script. The win is not counted:
// alice's burst of 3 is taken by her three already_won attempts.
func TestPurchaseRateLimited(t *testing.T) {
	env := servertest.New(t)
	d := env.Deps
	d.Config.RateLimitUserRPS, d.Config.RateLimitUserBurst = 0.01, 3
	app := server.NewApp(d, nil, purchase.Function)
	a := servertest.MustActivity(t, env.Store, 5)
	path := "/activities/" + a.ID + "/purchase"
	statuses := []int{}
	for i := 0; i < 6; i++ {
		resp := servertest.Do(t, app, servertest.Request{Method: "POST", Path: path, Body: `{"user_id":"alice"}`})
		statuses = append(statuses, resp.Status)
		if resp.Status == 429 && (resp.ErrorCode() != httpapi.CodeRateLimited || resp.Header.Get("Retry-After") == "") {
			t.Fatalf("429 without rate_limited and Retry-After: %v %s", resp.Header, resp.Body)
		}
	}
	if want := []int{200, 200, 200, 200, 429, 429}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	// Another user is not affected.
	resp := servertest.Do(t, app, servertest.Request{Method: "POST", Path: path, Body: `{"user_id":"bob"}`})
	if resp.Status != 200 {
		t.Fatalf("bob: %d %s", resp.Status, resp.Body)
	}
}
