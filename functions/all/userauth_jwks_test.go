package all_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"seckill/functions/all"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestUserAuthBlackBox runs the real binary as deployed, with user
// authentication on and keys from a local identity provider's JWKS, and
// calls it as a client would: no token is 401, alice acting as bob is 403
// on every user route (purchase, result, history, an order, demo payment, cancel),
// malformed, expired and wrong-issuer tokens are 401 invalid_token and write
// nothing, the admin token reads everything, subjects in providers' formats
// are users, and a key the provider rotates in is accepted without a restart.
func TestUserAuthBlackBox(t *testing.T) {
	const iss, aud = "https://id.example/", "seckill"
	var mu sync.Mutex
	key1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	current, kid := key1, "k1"
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		jwk, err := jwkset.NewJWKFromKey(current.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid}})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		_ = json.NewEncoder(w).Encode(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
	}))
	defer idp.Close()
	token := func(sub string, claims jwt.MapClaims) string {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		c := jwt.MapClaims{"sub": sub, "iss": iss, "aud": aud, "exp": time.Now().Add(time.Hour).Unix()}
		for k, v := range claims {
			c[k] = v
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(current)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + s
	}

	srv := redistest.Start(t)
	p := startServer(t, mustBuild(t, "./cmd"), srv, "USER_AUTH=on", "USER_JWKS_URL="+idp.URL+"/jwks.json",
		"USER_JWT_ISSUER="+iss, "USER_JWT_AUDIENCE="+aud)
	c := newClient(p.base, 2)
	a := c.mustActivity(t, 10)
	rdb := srv.AdminClient(t)

	call := func(method, path, body, authorization string) (int, string, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.NewDecoder(bytes.NewReader(b)).Decode(&out)
		code := ""
		if e, ok := out["error"].(map[string]any); ok {
			code, _ = e["code"].(string)
		}
		return resp.StatusCode, code, out
	}
	const alice, bob = "auth0|alice", "google-oauth2|123"
	purchase := "/activities/" + a.ID + "/purchase"
	st, _, res := call("POST", purchase, `{"user_id":"`+alice+`"}`, token(alice, nil))
	if st != 200 || res["outcome"] != string(sale.OutcomeWon) {
		t.Fatalf("alice buys: %d %v", st, res)
	}
	order, _ := res["order_id"].(string)

	before := keyDump(t, rdb)
	admin := "Bearer " + servertest.AdminToken
	for _, tt := range []struct {
		name, method, path, body, auth string
		want                           int
		code                           string
	}{
		{"purchase without a token", "POST", purchase, `{"user_id":"` + alice + `"}`, "", 401, "unauthorized"},
		{"purchase as bob with alice's token", "POST", purchase, `{"user_id":"` + bob + `"}`, token(alice, nil), 403, "forbidden"},
		{"result as bob", "GET", "/activities/" + a.ID + "/purchases/auth0%7Calice", "", token(bob, nil), 403, "forbidden"},
		{"result without a token", "GET", "/activities/" + a.ID + "/purchases/auth0%7Calice", "", "", 401, "unauthorized"},
		{"history as bob", "GET", "/users/auth0%7Calice/orders", "", token(bob, nil), 403, "forbidden"},
		{"alice's order as bob", "GET", "/orders/" + order, "", token(bob, nil), 403, "forbidden"},
		{"an order without a token", "GET", "/orders/" + order, "", "", 401, "unauthorized"},
		{"demo-pay alice's order as bob", "POST", "/orders/" + order + "/demo-payment", `{"user_id":"` + alice + `"}`, token(bob, nil), 403, "forbidden"},
		{"cancel alice's order as bob", "POST", "/orders/" + order + "/cancel", `{"user_id":"` + alice + `"}`, token(bob, nil), 403, "forbidden"},
		{"malformed token", "POST", purchase, `{"user_id":"` + alice + `"}`, "Bearer not.a.token", 401, "invalid_token"},
		{"expired token", "POST", purchase, `{"user_id":"` + alice + `"}`, token(alice, jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()}), 401, "invalid_token"},
		{"wrong issuer", "POST", purchase, `{"user_id":"` + alice + `"}`, token(alice, jwt.MapClaims{"iss": "https://evil.example/"}), 401, "invalid_token"},
		{"wrong audience", "GET", "/orders/" + order, "", token(alice, jwt.MapClaims{"aud": "other"}), 401, "invalid_token"},
		{"the admin token is no user token", "POST", purchase, `{"user_id":"` + alice + `"}`, admin, 401, "invalid_token"},
	} {
		if st, code, body := call(tt.method, tt.path, tt.body, tt.auth); st != tt.want || code != tt.code {
			t.Errorf("%s: %d %s %v, want %d %s", tt.name, st, code, body, tt.want, tt.code)
		}
	}
	mustSameDump(t, before, keyDump(t, rdb))

	for _, who := range []struct{ name, auth string }{{"alice", token(alice, nil)}, {"the admin", admin}} {
		if st, _, o := call("GET", "/orders/"+order, "", who.auth); st != 200 || o["user_id"] != alice {
			t.Errorf("%s reads alice's order: %d %v", who.name, st, o)
		}
	}
	if st, _, r := call("GET", "/activities/"+a.ID+"/purchases/auth0%7Calice", "", token(alice, nil)); st != 200 || r["won"] != true {
		t.Errorf("alice's result: %d %v", st, r)
	}

	// The provider rotates its key; the server keeps running.
	key2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	old := token(bob, nil)
	mu.Lock()
	current, kid = key2, "k2"
	mu.Unlock()
	st, _, res = call("POST", purchase, `{"user_id":"`+bob+`"}`, token(bob, nil))
	if st != 200 || res["outcome"] != string(sale.OutcomeWon) {
		t.Fatalf("bob buys with a token of the rotated-in key: %d %v", st, res)
	}
	if st, code, _ := call("GET", "/users/google-oauth2%7C123/orders", "", old); st != 401 || code != "invalid_token" {
		t.Errorf("token of the retired key: %d %s, want 401 invalid_token", st, code)
	}
	var page struct {
		Items []struct {
			UserID string `json:"user_id"`
		}
	}
	if st, err := c.doAuth("GET", "/users/google-oauth2%7C123/orders", nil, token(bob, nil), &page); err != nil || st != 200 || len(page.Items) != 1 || page.Items[0].UserID != bob {
		t.Errorf("bob's history: %d %v %+v", st, err, page)
	}
}

// TestEveryRouteDeclaresItsCallers: each route of the registry says who may
// call it (Admin, User, Owner or Public), so every route that acts for a
// user gets the token's subject check; Run refuses to start otherwise.
func TestEveryRouteDeclaresItsCallers(t *testing.T) {
	if err := server.CheckRoutes(all.Functions...); err != nil {
		t.Fatal(err)
	}
}
