package redislib

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib/draworder"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
)

// A draw activity (admission "draw") sells by lot instead of by speed: users
// enter between registration_opens_at and draw_at (EnterDraw), and from
// draw_at the draw job (draw_job.go) ranks every entry by the documented
// order of package draworder and awards the first stock entrants, each
// through the ordinary purchase script. The keys below are in the activity's
// slot {act:ID}.

// Replies of entry_add.lua.
const (
	entryEntered   = 1
	entryAlready   = 2
	entryNotDraw   = 3
	entryCancelled = 4
	entryNotOpen   = 5
	entryClosed    = 6
	entryNotFound  = 7
)

// EntryResult is the answer to entering a draw.
type EntryResult struct {
	// Entered is always true on success: the user is in the draw.
	Entered bool `json:"entered"`
	// Already is true when the user had entered before (nothing changed).
	Already bool `json:"already"`
}

// EnterDraw enters userID in the draw of the activity, idempotently: one
// script, one round trip. Refusals (not a draw, cancelled, before or after
// registration) write nothing.
func (s *Store) EnterDraw(ctx context.Context, activityID, userID string) (EntryResult, error) {
	code, err := entryAddScript.Run(ctx, s.pipe, []string{key.Activity(activityID), key.DrawEntries(activityID)},
		userID).Int64Slice()
	if err != nil {
		return EntryResult{}, storeErr(err)
	}
	if len(code) != 1 {
		return EntryResult{}, fmt.Errorf("entry_add: unexpected reply %v", code)
	}
	switch code[0] {
	case entryNotFound:
		return EntryResult{}, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", activityID)
	case entryEntered:
		return EntryResult{Entered: true}, nil
	case entryAlready:
		return EntryResult{Entered: true, Already: true}, nil
	case entryNotDraw:
		return EntryResult{}, sale.Errorf(sale.CodeNotDraw, "activity %s does not sell by draw", activityID)
	case entryCancelled:
		return EntryResult{}, sale.Errorf(sale.CodeActivityCancelled, "activity %s is cancelled", activityID)
	case entryNotOpen:
		return EntryResult{}, sale.Errorf(sale.CodeRegistrationNotOpen, "registration for the draw is not open yet")
	case entryClosed:
		return EntryResult{}, sale.Errorf(sale.CodeRegistrationClosed, "registration for the draw is closed")
	default:
		return EntryResult{}, fmt.Errorf("entry_add: unexpected reply %v", code)
	}
}

// Entered reports whether userID is entered in the activity's draw. An
// unknown activity is activity_not_found; an activity of another admission
// is not_draw.
func (s *Store) Entered(ctx context.Context, activityID, userID string) (bool, error) {
	var meta *redis.SliceCmd
	var in *redis.BoolCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HMGet(ctx, key.Activity(activityID), "id", "admission")
		in = p.SIsMember(ctx, key.DrawEntries(activityID), userID)
		return nil
	})
	if err != nil {
		return false, storeErr(err)
	}
	if err := drawActivity(activityID, meta.Val()); err != nil {
		return false, err
	}
	return in.Val(), nil
}

// drawActivity checks an HMGET of id and admission: the activity exists and
// sells by draw.
func drawActivity(activityID string, v []any) error {
	if len(v) < 2 {
		return fmt.Errorf("hmget: unexpected reply %v", v)
	}
	if v[0] == nil {
		return sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", activityID)
	}
	if asString(v[1]) != "draw" {
		return sale.Errorf(sale.CodeNotDraw, "activity %s does not sell by draw", activityID)
	}
	return nil
}

// DrawSummary is the public state of an activity's draw.
type DrawSummary struct {
	ActivityID string `json:"activity_id"`
	// Status is pending (before draw_at, or not run yet), running or done.
	Status string `json:"status"`
	// SeedHash is the lowercase hex SHA-256 of the seed, published from
	// registration_opens_at; empty before.
	SeedHash string `json:"seed_hash,omitempty"`
	// Seed is the seed in lowercase hex, published once the draw is done.
	Seed string `json:"seed,omitempty"`
	// Entries is how many users entered.
	Entries int64 `json:"entries"`
	// Awarded is how many entrants the draw has given a unit so far
	// (including those whose order was since cancelled or expired, whose unit
	// went to the next entrant).
	Awarded int64 `json:"awarded"`
}

// DrawWinner is one entrant the draw gave a unit.
type DrawWinner struct {
	// Position is the entrant's place in the draw order, from 0.
	Position int64  `json:"position"`
	UserID   string `json:"user_id"`
}

// DrawPage is the draw's summary with one page of its winners, in draw order.
type DrawPage struct {
	DrawSummary
	Winners    []DrawWinner `json:"winners"`
	NextCursor *string      `json:"next_cursor"`
}

// drawSummary reads an activity's draw summary and TIME in one transaction,
// with the commands queued by more (read within the same transaction).
func (s *Store) drawSummary(ctx context.Context, activityID string, more func(p redis.Pipeliner)) (DrawSummary, error) {
	var meta *redis.SliceCmd
	var entries, awarded *redis.IntCmd
	var now *redis.TimeCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HMGet(ctx, key.Activity(activityID), "id", "admission", "draw_status", "seed", "registration_opens_at")
		entries = p.SCard(ctx, key.DrawEntries(activityID))
		awarded = p.ZCard(ctx, key.DrawWinners(activityID))
		now = p.Time(ctx)
		if more != nil {
			more(p)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return DrawSummary{}, storeErr(err)
	}
	v := meta.Val()
	if err := drawActivity(activityID, v); err != nil {
		return DrawSummary{}, err
	}
	d := DrawSummary{ActivityID: activityID, Status: asString(v[2]), Entries: entries.Val(), Awarded: awarded.Val()}
	if d.Status == "" {
		d.Status = sale.DrawPending
	}
	seed, err := parseStoredSeed(asString(v[3]))
	if err != nil {
		return DrawSummary{}, fmt.Errorf("activity %s: %w", activityID, err)
	}
	opens, _ := strconv.ParseInt(asString(v[4]), 10, 64)
	if seed != nil && now.Val().UnixMilli() >= opens {
		d.SeedHash = draworder.SeedHash(seed)
	}
	if seed != nil && d.Status == sale.DrawDone {
		d.Seed = fmt.Sprintf("%x", seed)
	}
	return d, nil
}

// parseStoredSeed decodes the seed field of an activity (hex); nil when
// absent.
func parseStoredSeed(v string) ([]byte, error) {
	if v == "" {
		return nil, nil
	}
	seed, err := draworder.ParseSeed(v)
	if err != nil {
		return nil, fmt.Errorf("stored seed: %w", err)
	}
	return seed, nil
}

// Draw returns the draw's summary and one page of its winners in draw order
// (ascending position), after the cursor of q.
func (s *Store) Draw(ctx context.Context, activityID string, q sale.PageQuery) (DrawPage, error) {
	if q.Limit < 1 || q.Limit > sale.MaxPageLimit {
		return DrawPage{}, sale.Errorf(sale.CodeInvalidLimit, "limit must be an integer from 1 to %d", sale.MaxPageLimit)
	}
	min := "-inf"
	if q.After != nil {
		min = "(" + q.After.Score
	}
	var page *redis.ZSliceCmd
	sum, err := s.drawSummary(ctx, activityID, func(p redis.Pipeliner) {
		page = p.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: key.DrawWinners(activityID), Start: min, Stop: "+inf",
			ByScore: true, Count: int64(q.Limit + 1)})
	})
	if err != nil {
		return DrawPage{}, err
	}
	d := DrawPage{DrawSummary: sum, Winners: []DrawWinner{}}
	zs := page.Val()
	for i, z := range zs {
		user, _ := z.Member.(string)
		if i == q.Limit {
			prev := zs[i-1]
			next := sale.Cursor{Score: strconv.FormatInt(int64(prev.Score), 10), Member: asString(prev.Member)}.String()
			d.NextCursor = &next
			break
		}
		d.Winners = append(d.Winners, DrawWinner{Position: int64(z.Score), UserID: user})
	}
	return d, nil
}

// DrawEntrants returns one page of the users entered in the draw, in draw
// order, once the draw is done (before, draw_not_done: the list is published
// with the seed, so that anyone can recompute the order). The cursor is the
// last entry's member of the draw order.
func (s *Store) DrawEntrants(ctx context.Context, activityID string, q sale.PageQuery) (sale.Page[string], error) {
	if q.Limit < 1 || q.Limit > sale.MaxPageLimit {
		return sale.Page[string]{}, sale.Errorf(sale.CodeInvalidLimit, "limit must be an integer from 1 to %d", sale.MaxPageLimit)
	}
	min := "-"
	if q.After != nil {
		min = "(" + q.After.Member
	}
	var page *redis.StringSliceCmd
	sum, err := s.drawSummary(ctx, activityID, func(p redis.Pipeliner) {
		page = p.ZRangeArgs(ctx, redis.ZRangeArgs{Key: key.DrawOrder(activityID), Start: min, Stop: "+",
			ByLex: true, Count: int64(q.Limit + 1)})
	})
	if err != nil {
		return sale.Page[string]{}, err
	}
	if sum.Status != sale.DrawDone {
		return sale.Page[string]{}, sale.Errorf(sale.CodeDrawNotDone, "the entrants are published once the draw is done")
	}
	out := sale.Page[string]{Items: []string{}}
	members := page.Val()
	for i, m := range members {
		if i == q.Limit {
			next := sale.Cursor{Score: "0", Member: members[i-1]}.String()
			out.NextCursor = &next
			break
		}
		user, ok := draworder.UserOf(m)
		if !ok {
			return sale.Page[string]{}, fmt.Errorf("draw order of %s holds %q", activityID, m)
		}
		out.Items = append(out.Items, user)
	}
	return out, nil
}

// DrawTiming is when a draw started, finished ranking its entries and
// finished its first pass, by Redis time (zero: not yet).
type DrawTiming struct {
	Started, Ranked, Done time.Time
}

// DrawTiming reads the times of an activity's draw.
func (s *Store) DrawTiming(ctx context.Context, activityID string) (DrawTiming, error) {
	v, err := s.rdb.HMGet(ctx, key.DrawState(activityID), "started_at", "ranked_at", "done_at").Result()
	if err != nil {
		return DrawTiming{}, storeErr(err)
	}
	at := func(x any) time.Time {
		ms, err := strconv.ParseInt(asString(x), 10, 64)
		if err != nil || ms == 0 {
			return time.Time{}
		}
		return msTime(ms)
	}
	if len(v) != 3 {
		return DrawTiming{}, fmt.Errorf("hmget: unexpected reply %v", v)
	}
	return DrawTiming{Started: at(v[0]), Ranked: at(v[1]), Done: at(v[2])}, nil
}
