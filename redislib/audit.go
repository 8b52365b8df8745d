package redislib

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The audit trail of each activity and product (see sale.AuditEntry) is a
// STREAM (activityAuditKey, productAuditKey), appended by the script that
// makes the change. It is kept for as long as the activity or product: one
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
	return s.auditPage(ctx, key.ActivityAudit(activityID), q)
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
	return s.auditPage(ctx, key.ProductAudit(productID), q)
}

// auditPage reads a page of a trail with XREVRANGE. Its cursor is the last
// entry's stream ID (as a Cursor whose score is the ID's milliseconds), and
// the next page starts strictly before it.
func (s *Store) auditPage(ctx context.Context, key string, q sale.PageQuery) (sale.Page[sale.AuditEntry], error) {
	end := "+"
	if q.After != nil {
		if _, _, ok := parseStreamID(q.After.Member); !ok {
			return sale.Page[sale.AuditEntry]{}, sale.Errorf(sale.CodeInvalidCursor, "cursor is not a next_cursor returned by this listing")
		}
		end = "(" + q.After.Member
	}
	msgs, err := s.rdb.XRevRangeN(ctx, key, end, "-", int64(q.Limit)+1).Result()
	if err != nil {
		return sale.Page[sale.AuditEntry]{}, storeErr(err)
	}
	page := sale.Page[sale.AuditEntry]{Items: []sale.AuditEntry{}}
	for i, m := range msgs {
		if i == q.Limit {
			ms, _, _ := parseStreamID(msgs[i-1].ID)
			next := sale.Cursor{Score: strconv.FormatInt(ms, 10), Member: msgs[i-1].ID}.String()
			page.NextCursor = &next
			break
		}
		e, err := auditEntry(m)
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
