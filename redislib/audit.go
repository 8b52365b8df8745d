package redislib

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Every admin action on an activity or a product is recorded in an audit
// trail: a STREAM per activity (activityAuditKey) and per product
// (productAuditKey), written by the same script as the change itself, so an
// action is recorded if and only if it was applied. An entry holds who acted
// (the actor the caller names), when (Redis TIME), what (the action) and the
// values of the changed fields before and after, as JSON objects. Requests
// that change nothing (a repeated cancel, a pause of a paused activity, a
// refused change) write no entry.
//
// The trail is kept for as long as the activity or product: it is one entry
// per admin action, a few hundred bytes each.

// Audit actions.
const (
	AuditCreate = "create"
	AuditUpdate = "update"
	AuditStock  = "stock"
	AuditCancel = "cancel"
	AuditPause  = "pause"
	AuditResume = "resume"
	AuditDelete = "delete"
)

// AuditEntry is one admin action.
type AuditEntry struct {
	// ID is the entry's position in the trail (a Redis stream ID).
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	// Before and After are the changed fields' values, as a JSON object each
	// (empty objects for a creation's Before).
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
}

// UnattributedActor is the actor recorded for a change whose context names
// none (see WithActor): a caller of the store other than an admin request.
const UnattributedActor = "unattributed"

type actorKey struct{}

// WithActor returns a context whose admin actions are recorded in the audit
// trail as done by actor: 1 to 128 printable ASCII characters (anything else
// is recorded as UnattributedActor). The HTTP layer names the admin behind
// each admin request this way, so every store method records its actor
// without taking it as an argument.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// actorOf returns the actor WithActor put in ctx, or UnattributedActor.
func actorOf(ctx context.Context) string {
	actor, _ := ctx.Value(actorKey{}).(string)
	if actor == "" || len(actor) > 128 {
		return UnattributedActor
	}
	for i := 0; i < len(actor); i++ {
		if actor[i] < 0x21 || actor[i] > 0x7e {
			return UnattributedActor
		}
	}
	return actor
}

// ActivityAudit returns one page of an activity's audit trail, newest first.
// An unknown activity is activity_not_found.
func (s *Store) ActivityAudit(ctx context.Context, activityID string, q PageQuery) (Page[AuditEntry], error) {
	if _, err := s.Activity(ctx, activityID); err != nil {
		return Page[AuditEntry]{}, err
	}
	return s.auditPage(ctx, activityAuditKey(activityID), q)
}

// ProductAudit returns one page of a product's audit trail, newest first.
// An unknown product is product_not_found.
func (s *Store) ProductAudit(ctx context.Context, productID string, q PageQuery) (Page[AuditEntry], error) {
	if _, err := s.Product(ctx, productID); err != nil {
		return Page[AuditEntry]{}, err
	}
	return s.auditPage(ctx, productAuditKey(productID), q)
}

// auditPage reads a page of a trail with XREVRANGE. Its cursor is the last
// entry's stream ID (as a Cursor whose score is the ID's milliseconds), and
// the next page starts strictly before it.
func (s *Store) auditPage(ctx context.Context, key string, q PageQuery) (Page[AuditEntry], error) {
	end := "+"
	if q.After != nil {
		if _, _, ok := parseStreamID(q.After.member); !ok {
			return Page[AuditEntry]{}, Errorf(CodeInvalidCursor, "cursor is not a next_cursor returned by this listing")
		}
		end = "(" + q.After.member
	}
	msgs, err := s.rdb.XRevRangeN(ctx, key, end, "-", int64(q.Limit)+1).Result()
	if err != nil {
		return Page[AuditEntry]{}, storeErr(err)
	}
	page := Page[AuditEntry]{Items: []AuditEntry{}}
	for i, m := range msgs {
		if i == q.Limit {
			ms, _, _ := parseStreamID(msgs[i-1].ID)
			next := Cursor{score: strconv.FormatInt(ms, 10), member: msgs[i-1].ID}.String()
			page.NextCursor = &next
			break
		}
		e, err := auditEntry(m)
		if err != nil {
			return Page[AuditEntry]{}, err
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

func auditEntry(m redis.XMessage) (AuditEntry, error) {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	at, err := strconv.ParseInt(str("at"), 10, 64)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("audit entry %s: bad at %q", m.ID, str("at"))
	}
	e := AuditEntry{ID: m.ID, At: msTime(at), Actor: str("actor"), Action: str("action")}
	if e.Before, err = jsonObject(str("before")); err == nil {
		e.After, err = jsonObject(str("after"))
	}
	if err != nil {
		return AuditEntry{}, fmt.Errorf("audit entry %s: %w", m.ID, err)
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
