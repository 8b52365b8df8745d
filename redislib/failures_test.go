package redislib_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// Tests of store failures met in the middle of an operation, of error kinds,
// and of malformed replies: a failure is a store error (503) or an internal
// error (500), never a business answer, and never a panic.

// proxiedStore returns a store that reaches srv through a proxy the test can
// break, and the proxy.
func proxiedStore(t *testing.T, srv *redistest.Server, password string) (*redislib.Store, *redistest.Proxy) {
	t.Helper()
	px := redistest.StartProxy(t, srv.Addr)
	rdb, err := redislib.NewClient(redislib.Config{Addr: px.Addr, Password: password, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return redislib.NewStore(rdb), px
}

// TestGatherFailureIsStoreError: cutting the stock below what bucket 0
// holds first gathers units from the other buckets. When Redis fails during
// that gather, the answer is store_unavailable, not stock_below_sold.
func TestGatherFailureIsStoreError(t *testing.T) {
	singleOnly(t, "breaks the connection to one server")
	srv := redistest.Start(t)
	tests := []struct {
		name   string
		change func(s *redislib.Store, id string) error
		opts   []redistest.ActivityOption
	}{
		{"AdjustStock", func(s *redislib.Store, id string) error {
			_, err := s.AdjustStock(ctx, id, -7) // bucket 0 holds 5 of the 10
			return err
		}, nil},
		{"UpdateActivity", func(s *redislib.Store, id string) error {
			stock := int64(3)
			_, err := s.UpdateActivity(ctx, id, sale.ActivityChanges{Stock: &stock})
			return err
		}, []redistest.ActivityOption{redistest.Window(time.Hour, 2*time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, px := proxiedStore(t, srv, "")
			a := redistest.MustActivity(t, store, 10, append(tt.opts, redistest.Buckets(2))...)
			var cut atomic.Bool
			px.On(redislib.BucketReadSHA, func() redistest.Action {
				cut.Store(true)
				return redistest.Cut
			})
			err := tt.change(store, a.ID)
			if !cut.Load() {
				t.Fatal("the change never read the buckets")
			}
			if code := sale.ErrorCode(err); code != sale.CodeStoreUnavailable {
				t.Fatalf("Redis failed during the gather: %v (code %q), want store_unavailable", err, code)
			}
			// Nothing was cut: the next try, with Redis well, applies it.
			if err := tt.change(store, a.ID); err != nil {
				t.Fatalf("again with Redis well: %v", err)
			}
		})
	}
}

// TestProjectionFailedReadIsNotComplete: a read of the events that fails as
// a whole (a new connection refused at AUTH, after Redis's password changed)
// is an error, never "no new events" with complete true.
func TestProjectionFailedReadIsNotComplete(t *testing.T) {
	singleOnly(t, "changes one server's password")
	srv := redistest.Start(t, "--requirepass", "right")
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: "right"})
	t.Cleanup(func() { _ = admin.Close() })
	store, px := proxiedStore(t, srv, "right")
	a := mustActivity(t, store, 10, 900)
	for _, u := range []string{"u1", "u2", "u3"} {
		mustWin(t, store, a.ID, u)
	}
	// The reclaim of stuck events succeeds (none are); then Redis refuses
	// every new connection, and each open one is closed.
	px.On("xautoclaim", func() redistest.Action {
		if err := admin.ConfigSet(ctx, "requirepass", "changed").Err(); err != nil {
			t.Errorf("config set: %v", err)
		}
		return redistest.ForwardThenCutAll
	})
	r, err := store.ProjectUserOrders(ctx, redislib.JobOptions{})
	if err == nil || r.Complete {
		t.Fatalf("project with the read refused: %+v, %v; want an error and complete false", r, err)
	}
	if code := sale.ErrorCode(err); code != sale.CodeStoreUnavailable {
		t.Fatalf("project: %v (code %q), want store_unavailable", err, code)
	}
	if err := admin.ConfigSet(ctx, "requirepass", "right").Err(); err != nil {
		t.Fatal(err)
	}
	// A pooled connection the proxy cut may still answer its next command
	// with EOF (store_unavailable): the job is run again until it answers.
	deadline := time.Now().Add(5 * time.Second)
	for r, err = store.ProjectUserOrders(ctx, redislib.JobOptions{}); err != nil && time.Now().Before(deadline); {
		if sale.ErrorCode(err) != sale.CodeStoreUnavailable {
			break
		}
		r, err = store.ProjectUserOrders(ctx, redislib.JobOptions{})
	}
	if err != nil || r.Events != 3 || !r.Complete {
		t.Fatalf("project with Redis well: %+v, %v; want the 3 events, complete", r, err)
	}
}

// TestErrorKindsExact: error classes are whole error kinds. BUSY (a script
// runs too long) is store_unavailable; BUSYGROUP and BUSYKEY, which share
// its first letters, are not.
func TestErrorKindsExact(t *testing.T) {
	singleOnly(t, "blocks one server with a script")
	srv := redistest.Start(t, "--busy-reply-threshold", "50")
	rdb := srv.AdminClient(t) // the kinds come from commands the functions never send

	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []any{"k", "v"}})
	rdb.XGroupCreate(ctx, "s", "g", "0")
	busyGroup := rdb.XGroupCreate(ctx, "s", "g", "0").Err()
	rdb.Set(ctx, "k", "v", 0)
	dump := rdb.Dump(ctx, "k").Val()
	busyKey := rdb.Restore(ctx, "k", 0, dump).Err()

	// A script that loops until killed makes every other command BUSY.
	blocker := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, ReadTimeout: -1})
	t.Cleanup(func() { _ = blocker.Close() })
	looping := make(chan error, 1)
	go func() { looping <- blocker.Eval(context.Background(), "while true do end", nil).Err() }()
	var busy error
	deadline := time.Now().Add(10 * time.Second)
	for redislib.ErrorKind(busy) != "BUSY" {
		if time.Now().After(deadline) {
			t.Fatalf("Redis never answered BUSY: %v", busy)
		}
		busy = rdb.Ping(ctx).Err()
	}
	if err := rdb.ScriptKill(ctx).Err(); err != nil {
		t.Fatalf("script kill: %v", err)
	}
	<-looping

	for _, tt := range []struct {
		err         error
		kind        string
		unavailable bool
	}{
		{busy, "BUSY", true},
		{busyGroup, "BUSYGROUP", false},
		{busyKey, "BUSYKEY", false},
	} {
		if got := redislib.ErrorKind(tt.err); got != tt.kind {
			t.Errorf("kind of %v: %q, want %q", tt.err, got, tt.kind)
		}
		code := sale.ErrorCode(redislib.StoreErr(tt.err))
		if got := code == sale.CodeStoreUnavailable; got != tt.unavailable {
			t.Errorf("%v: classed %q; store_unavailable: %v, want %v", tt.err, code, got, tt.unavailable)
		}
	}
}

// TestLeaseMalformedReply: a lease read whose reply is shorter than its
// code says takes no lease and panics nowhere. Redis runs another script in
// place of purchase_lease.lua (the proxy renames the call), one that answers
// "leased, with every buyer" and nothing more.
func TestLeaseMalformedReply(t *testing.T) {
	singleOnly(t, "renames a script call on its way to one server")
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	store, px := proxiedStore(t, srv, "")
	a := redistest.MustSoldOut(t, store)
	short, err := rdb.ScriptLoad(ctx, "redis.call('INCR', KEYS[1] .. ':short_replies') return {2, 1}").Result()
	if err != nil {
		t.Fatal(err)
	}
	px.Rewrite(t, redislib.PurchaseLeaseSHA, short)
	store.AcquireLease(a.ID)
	waitFor(t, func() bool {
		return rdb.Get(ctx, key.Activity(a.ID)+":short_replies").Val() == "1" && !store.LeaseRenewing(a.ID)
	})
	if res, ok := store.LeaseAnswer(a.ID, "alice"); ok {
		t.Fatalf("answered %+v from a malformed lease", res)
	}
	if n := store.Panics(); n != 0 {
		t.Fatalf("%d panics recovered, want none: the reply is length-checked", n)
	}
}

// panicOnSend is a real command whose arguments cannot be read a second
// time: the auto-pipeline's flusher panics when it writes it.
type panicOnSend struct {
	*redis.Cmd
	reads atomic.Int32
}

func (c *panicOnSend) Args() []any {
	if c.reads.Add(1) > 1 {
		panic("malformed command")
	}
	return c.Cmd.Args()
}

// TestAutoPipePanicRecovered: a panic in a flusher fails the calls of its
// pipeline with an error, is counted, and the auto-pipeline goes on serving.
func TestAutoPipePanicRecovered(t *testing.T) {
	srv := start(t)
	p := redislib.NewAutoPipe(srv.Client(t))
	cmd := &panicOnSend{Cmd: redis.NewCmd(ctx, "ping")}
	err := p.Process(ctx, cmd)
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("Process of a command that panics: %v, want the panic as an error", err)
	}
	if n := p.Panics(); n != 1 {
		t.Fatalf("%d panics counted, want 1", n)
	}
	waitFor(t, func() bool { f, q := p.State(); return f == 0 && q == 0 })
	for i := range 2 * redislib.MaxFlushers {
		ping := redis.NewStatusCmd(ctx, "ping")
		if err := p.Process(ctx, ping); err != nil || ping.Val() != "PONG" {
			t.Fatalf("ping %d after the panic: %q, %v", i, ping.Val(), err)
		}
	}
}

// TestStoreGoroutinePanicRecovered: a panic in a goroutine of the Store is
// recovered, counted and reported to OnPanic.
func TestStoreGoroutinePanicRecovered(t *testing.T) {
	srv := start(t)
	reported := make(chan string, 1)
	store := srv.Store(t, redislib.OnPanic(func(where string, v any, stack []byte) {
		reported <- where + ": " + v.(string)
	}))
	store.GoSafe("test goroutine", func() { panic("boom") })
	if got := <-reported; got != "test goroutine: boom" {
		t.Fatalf("reported %q", got)
	}
	if n := store.Panics(); n != 1 {
		t.Fatalf("%d panics counted, want 1", n)
	}
}
