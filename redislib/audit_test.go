package redislib_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// Every admin action that changes an activity or a product is in its audit
// trail, with the actor its context names, Redis time, and the changed
// values before and after; actions that change nothing are not.
func TestAuditTrail(t *testing.T) {
	s, _ := mustStore(t)
	as := sale.WithActor(ctx, "admin-token:0123456789ab")
	p, err := s.CreateProduct(as, sale.NewProduct{Name: "Phone", Price: 500})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Minute)
	a, err := s.CreateActivity(as, sale.NewActivity{ProductID: p.ID, Stock: 10, Price: 999,
		StartsAt: time.Now().Add(time.Hour), EndsAt: time.Now().Add(2 * time.Hour), PaymentWindow: 60})
	if err != nil {
		t.Fatal(err)
	}
	price := int64(1299)
	if _, err := s.UpdateActivity(as, a.ID, sale.ActivityChanges{Price: &price}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateActivity(as, a.ID, sale.ActivityChanges{Price: &price}); err != nil { // no change
		t.Fatal(err)
	}
	if _, err := s.AdjustStock(as, a.ID, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PauseActivity(as, a.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PauseActivity(as, a.ID, true); err != nil { // no change
		t.Fatal(err)
	}
	if _, err := s.PauseActivity(ctx, a.ID, false); err != nil { // no actor named
		t.Fatal(err)
	}
	if _, err := s.CancelActivity(as, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelActivity(as, a.ID); err != nil { // no change
		t.Fatal(err)
	}

	all := activityTrail(t, s, a.ID, 2)
	want := []struct{ action, actor, before, after string }{
		{sale.AuditCancel, "admin-token:0123456789ab", `{"cancelled_at":0}`, ""},
		{sale.AuditResume, sale.UnattributedActor, "", `{"paused_at":0}`},
		{sale.AuditPause, "admin-token:0123456789ab", `{"paused_at":0}`, ""},
		{sale.AuditStock, "admin-token:0123456789ab", `{"remaining":10,"stock":10}`, `{"remaining":15,"stock":15}`},
		{sale.AuditUpdate, "admin-token:0123456789ab", `{"price":999}`, `{"price":1299}`},
		{sale.AuditCreate, "admin-token:0123456789ab", `{}`, ""},
	}
	if len(all) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(all), len(want), all)
	}
	for i, w := range want {
		e := all[i]
		if e.Action != w.action || e.Actor != w.actor {
			t.Errorf("entry %d: %s by %s, want %s by %s", i, e.Action, e.Actor, w.action, w.actor)
		}
		if e.At.Before(before) || e.At.After(time.Now().Add(time.Minute)) {
			t.Errorf("entry %d: at %s is not Redis's now", i, e.At)
		}
		if i > 0 && !e.At.Before(all[i-1].At.Add(time.Millisecond)) {
			t.Errorf("entry %d is newer than entry %d", i, i-1)
		}
		if got := mustJSON(t, e.Before); w.before != "" && got != w.before {
			t.Errorf("entry %d (%s): before %s, want %s", i, e.Action, got, w.before)
		}
		if got := mustJSON(t, e.After); w.after != "" && got != w.after {
			t.Errorf("entry %d (%s): after %s, want %s", i, e.Action, got, w.after)
		}
	}
	if got := all[5].After["product_id"]; got != p.ID {
		t.Errorf("create's after names product %v, want %s", got, p.ID)
	}

	name := "Phone 2"
	if _, err := s.UpdateProduct(as, p.ID, sale.ProductChanges{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteProduct(as, p.ID); err != nil {
		t.Fatal(err)
	}
	page, err := s.ProductAudit(ctx, p.ID, sale.PageQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page.Items {
		actions = append(actions, e.Action)
	}
	if got := mustJSON(t, actions); got != `["delete","update","create"]` {
		t.Fatalf("product trail %s", got)
	}
	if got := mustJSON(t, page.Items[1].Before); got != `{"name":"Phone"}` {
		t.Errorf("product update before %s", got)
	}

	_, err = s.ActivityAudit(ctx, "0123456789abcdef", sale.PageQuery{Limit: 10})
	mustCode(t, err, sale.CodeActivityNotFound)
}

// activityTrail reads an activity's whole audit trail, limit entries a page.
func activityTrail(t *testing.T, s *redislib.Store, activityID string, limit int) []sale.AuditEntry {
	t.Helper()
	var all []sale.AuditEntry
	q := sale.PageQuery{Limit: limit}
	for pages := 0; ; pages++ {
		page, err := s.ActivityAudit(ctx, activityID, q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Items...)
		if page.NextCursor == nil {
			return all
		}
		if pages > 10 {
			t.Fatal("audit pages do not end")
		}
		q = mustPageQuery(t, *page.NextCursor, limit)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// An admin's cancellation of an order is in the activity's trail, whichever
// stock bucket holds the order (each bucket records its own in its slot, and
// the trail merges them newest first, page by page); a user's own
// cancellation and a repeated one are not.
func TestAuditAdminOrderCancels(t *testing.T) {
	s, _ := mustStore(t)
	as := sale.WithActor(ctx, "admin-token:0123456789ab")
	a := redistest.MustActivity(t, s, 40, redistest.Buckets(4))
	byBucket := map[int]string{}
	var userOrder sale.Order
	for i := 0; len(byBucket) < 4 || userOrder.ID == ""; i++ {
		if i > 1000 {
			t.Fatalf("orders reached only buckets %v", byBucket)
		}
		o := mustWin(t, s, a.ID, fmt.Sprintf("u%d", i))
		_, k, _ := sale.OrderBucket(o.ID)
		if _, seen := byBucket[k]; !seen {
			byBucket[k] = o.ID
		} else if userOrder.ID == "" {
			userOrder = o
		}
	}
	if _, err := s.CancelOrder(ctx, userOrder.ID, userOrder.UserID, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for k := range 4 {
		id := byBucket[k]
		want[id] = true
		for range 2 { // the second cancel changes nothing
			if _, err := s.CancelOrder(as, id, "", true); err != nil && sale.ErrorCode(err) != sale.CodeOrderCancelled {
				t.Fatal(err)
			}
		}
	}

	all := activityTrail(t, s, a.ID, 1)
	if len(all) != 5 || all[4].Action != sale.AuditCreate {
		t.Fatalf("trail %s, want 4 order cancellations and the creation", mustJSON(t, all))
	}
	for i, e := range all[:4] {
		id, _ := e.After["order_id"].(string)
		if e.Action != sale.AuditCancelOrder || e.Actor != "admin-token:0123456789ab" || !want[id] ||
			e.Before["status"] != sale.OrderPending || e.After["status"] != sale.OrderCancelled {
			t.Errorf("entry %d: %s", i, mustJSON(t, e))
		}
		delete(want, id)
		if i > 0 && e.At.After(all[i-1].At) {
			t.Errorf("entry %d is newer than entry %d", i, i-1)
		}
	}
}
