package redislib_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
)

// buyAndCancel runs n cycles of a win and its cancellation in the activity,
// each by a new user: 2n events.
func buyAndCancel(t *testing.T, s *redislib.Store, activityID, prefix string, n int) {
	t.Helper()
	for i := range n {
		u := fmt.Sprintf("%s%d", prefix, i)
		o := mustWin(t, s, activityID, u)
		if _, err := s.CancelOrder(ctx, o.ID, u, false); err != nil {
			t.Fatalf("cancel %s: %v", o.ID, err)
		}
	}
}

func mustTrim(t *testing.T, s *redislib.Store, opts redislib.RetentionOptions) redislib.RetentionResult {
	t.Helper()
	r, err := s.TrimRetention(ctx, opts)
	if err != nil || !r.Complete {
		t.Fatalf("trim: %+v, %v", r, err)
	}
	return r
}

func xlen(t *testing.T, rdb redis.UniversalClient, stream string) int64 {
	t.Helper()
	n, err := rdb.XLen(ctx, stream).Result()
	if err != nil {
		t.Fatalf("XLEN: %v", err)
	}
	return n
}

// TestTrimEventsAcknowledged: a stream keeps exactly the entries some
// consumer group has not been delivered or has not acknowledged, and,
// without any group, every entry younger than the horizon.
func TestTrimEventsAcknowledged(t *testing.T) {
	s, be := mustStore(t)
	// Reads and seeds keys with commands the functions never run.
	rdb := be.AdminClient(t)
	a := mustActivity(t, s, 1, 900)
	stream := key.Events(a.ID, 0)
	buyAndCancel(t, s, a.ID, "u", 20)
	if n := xlen(t, rdb, stream); n != 40 {
		t.Fatalf("%d events after 20 cycles, want 40", n)
	}
	// No group has read anything: nothing goes.
	if r := mustTrim(t, s, redislib.RetentionOptions{}); r.Events != 0 || xlen(t, rdb, stream) != 40 {
		t.Fatalf("trimmed %d events no group had read", r.Events)
	}

	// A downstream group has been delivered 10 and acknowledged the first 4.
	if err := rdb.XGroupCreate(ctx, stream, "fulfilment", "0").Err(); err != nil {
		t.Fatalf("create group: %v", err)
	}
	got, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "fulfilment", Consumer: "w",
		Streams: []string{stream, ">"}, Count: 10, Block: -1}).Result()
	if err != nil || len(got[0].Messages) != 10 {
		t.Fatalf("read: %v, %v", got, err)
	}
	msgs := got[0].Messages
	for _, m := range msgs[:4] {
		rdb.XAck(ctx, stream, "fulfilment", m.ID)
	}
	// The projector reads and acknowledges all 40 in its own group.
	if r, err := s.ProjectUserOrders(ctx, redislib.JobOptions{}); err != nil || r.Events != 40 {
		t.Fatalf("project: %+v, %v", r, err)
	}
	if r := mustTrim(t, s, redislib.RetentionOptions{}); r.Events != 4 {
		t.Fatalf("trimmed %d events, want the 4 both groups acknowledged", r.Events)
	}
	if first, err := rdb.XRange(ctx, stream, "-", "+").Result(); err != nil || len(first) != 36 || first[0].ID != msgs[4].ID {
		t.Fatalf("left %d events from %v, want 36 from the oldest pending %s (%v)", len(first), first[0].ID, msgs[4].ID, err)
	}
	// All pending acknowledged: the group still has 30 entries to be delivered.
	for _, m := range msgs[4:] {
		rdb.XAck(ctx, stream, "fulfilment", m.ID)
	}
	if r := mustTrim(t, s, redislib.RetentionOptions{}); r.Events != 6 || xlen(t, rdb, stream) != 30 {
		t.Fatalf("trimmed %d events, left %d; want 6 and the 30 not delivered", r.Events, xlen(t, rdb, stream))
	}
	// More cycles, read and acknowledged by both groups: the stream empties.
	buyAndCancel(t, s, a.ID, "v", 10)
	for {
		got, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "fulfilment", Consumer: "w",
			Streams: []string{stream, ">"}, Count: 100, Block: -1}).Result()
		if err == redis.Nil {
			break
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		for _, m := range got[0].Messages {
			rdb.XAck(ctx, stream, "fulfilment", m.ID)
		}
	}
	if _, err := s.ProjectUserOrders(ctx, redislib.JobOptions{}); err != nil {
		t.Fatalf("project: %v", err)
	}
	if r := mustTrim(t, s, redislib.RetentionOptions{}); r.Events != 50 || xlen(t, rdb, stream) != 0 {
		t.Fatalf("trimmed %d events, left %d; want 50 and none", r.Events, xlen(t, rdb, stream))
	}
	// The projector carries on after a trim: a new win reaches the history.
	o := mustWin(t, s, a.ID, "late")
	rdb.Del(ctx, key.UserOrders("late"))
	if _, err := s.ProjectUserOrders(ctx, redislib.JobOptions{}); err != nil {
		t.Fatalf("project: %v", err)
	}
	if got := mustHistory(t, rdb, "late"); len(got) != 1 || got[0] != o.ID {
		t.Fatalf("history after a trim: %v", got)
	}
}

// TestTrimEventsHorizon: entries older than the horizon go even when a
// group never read them; younger ones stay.
func TestTrimEventsHorizon(t *testing.T) {
	s, be := mustStore(t)
	// Reads and seeds keys with commands the functions never run.
	rdb := be.AdminClient(t)
	a := mustActivity(t, s, 1, 900)
	stream := key.Events(a.ID, 0)
	buyAndCancel(t, s, a.ID, "u", 5)
	if err := rdb.XGroupCreate(ctx, stream, "stalled", "0").Err(); err != nil {
		t.Fatalf("create group: %v", err)
	}
	if r := mustTrim(t, s, redislib.RetentionOptions{EventsHorizon: time.Hour}); r.Events != 0 {
		t.Fatalf("trimmed %d events younger than the horizon", r.Events)
	}
	waitRedisTime(t, rdb, redisNow(t, rdb).Add(50*time.Millisecond))
	if r := mustTrim(t, s, redislib.RetentionOptions{EventsHorizon: 20 * time.Millisecond}); r.Events != 10 || xlen(t, rdb, stream) != 0 {
		t.Fatalf("trimmed %d events, left %d; want all 10 past the horizon", r.Events, xlen(t, rdb, stream))
	}
}

// TestTrimInboxes: a transfer record goes once the transfer is complete and
// a run saw it so TransferKeep ago; a transfer still in its outbox keeps its
// record; the units stay exact throughout.
func TestTrimInboxes(t *testing.T) {
	s, be := mustStore(t)
	// Reads and seeds keys with commands the functions never run.
	rdb := be.AdminClient(t)
	p, err := s.CreateProduct(ctx, sale.NewProduct{Name: "p", Price: 500})
	if err != nil {
		t.Fatalf("product: %v", err)
	}
	a, err := s.CreateActivity(ctx, sale.NewActivity{ProductID: p.ID, Stock: 30, Price: 999, Buckets: 3,
		StartsAt: time.Now().Add(-time.Minute), EndsAt: time.Now().Add(time.Hour), PaymentWindow: 900})
	if err != nil {
		t.Fatalf("activity: %v", err)
	}
	for i := range 6 {
		if moved, err := s.MoveUnits(ctx, a.ID, i%3, (i+1)%3, 1); err != nil || moved != 1 {
			t.Fatalf("move %d: %d, %v", i, moved, err)
		}
	}
	// A transfer given but still in its outbox (its process died before the delete).
	id, units, err := s.TakeUnits(ctx, a.ID, 0, 1, 2)
	if err != nil || units != 2 {
		t.Fatalf("take: %d, %v", units, err)
	}
	if err := s.GiveUnits(ctx, a.ID, 1, id, units); err != nil {
		t.Fatalf("give: %v", err)
	}
	inboxes := func() (n int64) {
		for k := range 3 {
			n += rdb.HLen(ctx, key.Inbox(a.ID, k)).Val()
		}
		return n
	}
	if n := inboxes(); n != 7 {
		t.Fatalf("%d transfer records, want 7", n)
	}
	keep := redislib.RetentionOptions{TransferKeep: 100 * time.Millisecond}
	if r := mustTrim(t, s, keep); r.Transfers != 0 || inboxes() != 7 {
		t.Fatalf("first run removed %d records; it only marks them", r.Transfers)
	}
	waitRedisTime(t, rdb, redisNow(t, rdb).Add(150*time.Millisecond))
	if r := mustTrim(t, s, keep); r.Transfers != 6 || inboxes() != 1 {
		t.Fatalf("removed %d records, %d left; want 6, and the one in its outbox", r.Transfers, inboxes())
	}
	// A repeated give of the transfer still in its outbox is still a no-op.
	if err := s.GiveUnits(ctx, a.ID, 1, id, units); err != nil {
		t.Fatalf("give again: %v", err)
	}
	if st := mustConsistent(t, s, a.ID); st.Remaining != 30 {
		t.Fatalf("remaining %d, want 30", st.Remaining)
	}
	if n, err := s.RecoverTransfers(ctx, a.ID); err != nil || n != 1 {
		t.Fatalf("recover: %d, %v", n, err)
	}
	mustTrim(t, s, keep)
	waitRedisTime(t, rdb, redisNow(t, rdb).Add(150*time.Millisecond))
	if r := mustTrim(t, s, keep); r.Transfers != 1 || inboxes() != 0 {
		t.Fatalf("removed %d records, %d left; want the last one", r.Transfers, inboxes())
	}
	if st := mustConsistent(t, s, a.ID); st.Remaining != 30 {
		t.Fatalf("remaining %d, want 30", st.Remaining)
	}
}

// usedMemory returns INFO memory used_memory of a single server.
func usedMemory(t *testing.T, rdb redis.UniversalClient) int64 {
	t.Helper()
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatalf("INFO: %v", err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("used_memory %q", v)
			}
			return n
		}
	}
	t.Fatal("INFO memory has no used_memory")
	return 0
}

// TestRedisBytesPerOrder measures what Redis holds per win and per
// cancelled order (INFO used_memory, one server), before and after the
// retention job, and checks the job leaves no events behind. The figures
// are in redislib/README.md (Retention).
func TestRedisBytesPerOrder(t *testing.T) {
	singleOnly(t, "reads one server's used_memory")
	s, be := mustStore(t)
	// Reads and seeds keys with commands the functions never run.
	rdb := be.AdminClient(t)
	const n = 2000
	start := usedMemory(t, rdb)
	p, err := s.CreateProduct(ctx, sale.NewProduct{Name: "p", Price: 500})
	if err != nil {
		t.Fatalf("product: %v", err)
	}
	for range n {
		if _, err := s.CreateActivity(ctx, sale.NewActivity{ProductID: p.ID, Stock: 100, Price: 999,
			StartsAt: time.Now().Add(-time.Minute), EndsAt: time.Now().Add(time.Hour), PaymentWindow: 900}); err != nil {
			t.Fatalf("activity: %v", err)
		}
	}
	perActivity := (usedMemory(t, rdb) - start) / n
	a := mustActivity(t, s, n, 900)
	b := mustActivity(t, s, 1, 900)
	trim := func() {
		if _, err := s.ProjectUserOrders(ctx, redislib.JobOptions{}); err != nil {
			t.Fatalf("project: %v", err)
		}
		mustTrim(t, s, redislib.RetentionOptions{})
	}
	trim()
	base := usedMemory(t, rdb)
	for i := range n {
		mustWin(t, s, a.ID, fmt.Sprintf("user-%06d", i))
	}
	won := usedMemory(t, rdb)
	trim()
	wonTrimmed := usedMemory(t, rdb)
	buyAndCancel(t, s, b.ID, "cycler-", n)
	cycled := usedMemory(t, rdb)
	trim()
	cycledTrimmed := usedMemory(t, rdb)
	per := func(d int64) int64 { return d / n }
	t.Logf("bytes per activity without orders: %d", perActivity)
	t.Logf("bytes per win (pending order, history, won event): %d; after the job: %d",
		per(won-base), per(wonTrimmed-base))
	t.Logf("bytes per cancelled order (2 events): %d; after the job: %d",
		per(cycled-wonTrimmed), per(cycledTrimmed-wonTrimmed))
	if xlen(t, rdb, key.Events(a.ID, 0)) != 0 || xlen(t, rdb, key.Events(b.ID, 0)) != 0 {
		t.Fatal("events left after the job")
	}
	if got := per(cycledTrimmed - wonTrimmed); got > 1024 {
		t.Fatalf("a cancelled order keeps %d bytes after the job, over 1 KB", got)
	}
}
