package redislib

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The audit trail of each activity and product (see sale.AuditEntry) is a
// STREAM (key.ActivityAudit, key.ProductAudit; an activity's admin order
// cancellations go to key.BucketAudit of the order's bucket), appended by the
// script that makes the change. It is kept for as long as the activity or product: one
// entry per admin action, a few hundred bytes each.

// ActivityAudit returns one page of an activity's audit trail, newest first.
// An unknown activity is activity_not_found.
func (s *Store) ActivityAudit(ctx context.Context, activityID string, q sale.PageQuery) (sale.Page[sale.AuditEntry], error) {
	if err := sale.CheckID("activity_id", activityID); err != nil {
		return sale.Page[sale.AuditEntry]{}, err
	}
	if _, err := s.Activity(ctx, activityID); err != nil {
		return sale.Page[sale.AuditEntry]{}, err
	}
	n, err := s.bucketCount(ctx, activityID)
	if err != nil {
		return sale.Page[sale.AuditEntry]{}, err
	}
	trails := make([]string, n)
	for k := range trails {
		trails[k] = key.BucketAudit(activityID, k)
	}
	return s.auditPage(ctx, trails, q)
}

// ProductAudit returns one page of a product's audit trail, newest first.
// An unknown product is product_not_found.
func (s *Store) ProductAudit(ctx context.Context, productID string, q sale.PageQuery) (sale.Page[sale.AuditEntry], error) {
	if err := sale.CheckID("product_id", productID); err != nil {
		return sale.Page[sale.AuditEntry]{}, err
	}
	if _, err := s.Product(ctx, productID); err != nil {
		return sale.Page[sale.AuditEntry]{}, err
	}
	return s.auditPage(ctx, []string{key.ProductAudit(productID)}, q)
}

// auditPage reads a page of a trail kept in one or more streams (an
// activity's admin actions, and its admin order cancellations in each stock
// bucket's slot), merged newest first: by stream ID, then by stream index.
// The cursor is the last entry's place, "<stream ID>/<index>" (as a Cursor
// whose score is the ID's milliseconds), and the next page starts strictly
// after it in that order.
func (s *Store) auditPage(ctx context.Context, trails []string, q sale.PageQuery) (sale.Page[sale.AuditEntry], error) {
	type place struct {
		ms, seq int64
		k       int
	}
	var after *place
	if q.After != nil {
		id, ks, _ := strings.Cut(q.After.Member, "/")
		ms, seq, ok := parseStreamID(id)
		k, err := strconv.Atoi(ks)
		if !ok || err != nil || k < 0 || k >= len(trails) {
			return sale.Page[sale.AuditEntry]{}, sale.Errorf(sale.CodeInvalidCursor, "cursor is not a next_cursor returned by this listing")
		}
		after = &place{ms, seq, k}
	}
	cmds := make([]*redis.XMessageSliceCmd, len(trails))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k, trail := range trails {
			end := "+"
			if after != nil {
				// Stream k's entries that come after the cursor: those with an
				// ID below its ID, and for a stream before its stream in the
				// order (a lower index), the cursor's ID itself too.
				end = strconv.FormatInt(after.ms, 10) + "-" + strconv.FormatInt(after.seq, 10)
				if k >= after.k {
					end = "(" + end
				}
			}
			cmds[k] = p.XRevRangeN(ctx, trail, end, "-", int64(q.Limit)+1)
		}
		return nil
	})
	if err != nil {
		return sale.Page[sale.AuditEntry]{}, storeErr(err)
	}
	type entry struct {
		place
		msg redis.XMessage
	}
	var merged []entry
	for k, cmd := range cmds {
		for _, m := range cmd.Val() {
			ms, seq, ok := parseStreamID(m.ID)
			if !ok {
				return sale.Page[sale.AuditEntry]{}, fmt.Errorf("audit entry: bad stream ID %q", m.ID)
			}
			merged = append(merged, entry{place{ms, seq, k}, m})
		}
	}
	slices.SortFunc(merged, func(a, b entry) int {
		return -cmp.Or(cmp.Compare(a.ms, b.ms), cmp.Compare(a.seq, b.seq), cmp.Compare(a.k, b.k))
	})
	page := sale.Page[sale.AuditEntry]{Items: []sale.AuditEntry{}}
	for i, m := range merged {
		if i == q.Limit {
			last := merged[i-1]
			next := sale.Cursor{Score: strconv.FormatInt(last.ms, 10), Member: last.msg.ID + "/" + strconv.Itoa(last.k)}.String()
			page.NextCursor = &next
			break
		}
		e, err := auditEntry(m.msg)
		if err != nil {
			return sale.Page[sale.AuditEntry]{}, err
		}
		page.Items = append(page.Items, e)
	}
	return page, nil
}

// parseStreamID splits a stream ID "<ms>-<seq>".
func parseStreamID(id string) (ms, seq int64, ok bool) {
	a, b, found := strings.Cut(id, "-")
	if !found {
		return 0, 0, false
	}
	ms, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.ParseInt(b, 10, 64)
	return ms, seq, err1 == nil && err2 == nil && ms >= 0 && seq >= 0
}

func auditEntry(m redis.XMessage) (sale.AuditEntry, error) {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	at, err := strconv.ParseInt(str("at"), 10, 64)
	if err != nil {
		return sale.AuditEntry{}, fmt.Errorf("audit entry %s: bad at %q", m.ID, str("at"))
	}
	e := sale.AuditEntry{ID: m.ID, At: msTime(at), Actor: str("actor"), Action: str("action")}
	if e.Before, err = jsonObject(str("before")); err == nil {
		e.After, err = jsonObject(str("after"))
	}
	if err != nil {
		return sale.AuditEntry{}, fmt.Errorf("audit entry %s: %w", m.ID, err)
	}
	return e, nil
}

// jsonObject decodes an entry's before or after object, keeping numbers as
// written (json.Number) so times in ms and counts stay exact.
func jsonObject(s string) (map[string]any, error) {
	m := map[string]any{}
	if s == "" || s == "{}" || s == "[]" { // cjson writes an empty table as {}
		return m, nil
	}
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("bad JSON object %q: %w", s, err)
	}
	return m, nil
}
