package redislib_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestUnreachableStoreIsUnavailable: wrong credentials and an unverifiable
// TLS server are store_unavailable (503), like an absent Redis; a command the
// ACL forbids is not (it is a configuration error, answered 500 and logged),
// so CheckDurability can tell a forbidden CONFIG from a Redis that is down.
func TestUnreachableStoreIsUnavailable(t *testing.T) {
	singleOnly(t, "starts servers with passwords, ACLs and TLS")
	ctx := context.Background()
	pw := redistest.Start(t, "--requirepass", "right-password")
	acl := redistest.Start(t, "--user", "app", "on", ">pw", "~*", "+@all", "-config")
	tlsSrv := redistest.StartTLS(t)
	tests := []struct {
		name string
		cfg  redislib.Config
		want string
	}{
		{"no password", redislib.Config{Addr: pw.Addr}, sale.CodeStoreUnavailable},
		{"wrong password", redislib.Config{Addr: pw.Addr, Password: "wrong"}, sale.CodeStoreUnavailable},
		{"plain text to a TLS port", redislib.Config{Addr: tlsSrv.Addr}, sale.CodeStoreUnavailable},
		{"TLS without the CA", redislib.Config{Addr: tlsSrv.Addr, TLS: true}, sale.CodeStoreUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Timeout = 2 * time.Second
			rdb, err := redislib.NewClient(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			if err := redislib.NewStore(rdb).Ping(ctx); sale.ErrorCode(err) != tt.want {
				t.Fatalf("Ping: %v, want code %q", err, tt.want)
			}
		})
	}
	rdb, _ := redislib.NewClient(redislib.Config{Addr: acl.Addr, Username: "app", Password: "pw", Timeout: 2 * time.Second})
	defer rdb.Close()
	err := redislib.CheckDurability(ctx, rdb)
	if !errors.Is(err, redislib.ErrConfigUnavailable) {
		t.Fatalf("CheckDurability with CONFIG forbidden: %v, want ErrConfigUnavailable", err)
	}
}
