package redislib

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib/draworder"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
)

// The draw job runs in every instance; a lock per activity (draw_lock.lua)
// lets one process at a time work on a draw, and every write it makes checks
// the lock's token, so a process that lost the lock writes nothing more. The
// state is in Redis (drawStateKey), so the job resumes where the last run
// stopped, in this process or another, after any crash. No script touches
// more than one chunk of entries.
//
//  1. Hashing: SSCAN the entries a chunk at a time (the cursor is saved with
//     each chunk); the process computes each entry's member "<key>:<user>"
//     and draw_hash.lua ZADDs the chunk into the draw order. Once SSCAN is
//     back at 0 and the order holds every entry, the phase is awarding.
//  2. Awarding: the entrants at positions award_cursor, award_cursor+1, ...
//     buy through the ordinary purchase script with admitted '1', as many at
//     once as there are units left; draw_award.lua then records who holds a
//     unit and the next position. A crash in between replays the purchases,
//     which answer already_won: every entrant gets at most one unit. The first
//     pass ends when the stock or the entries run out: draw_status is done
//     and the seed is published.
//  3. Waitlist: until the sale ends, each run looks again: units that came
//     back (an order expired or cancelled, stock added) go to the next
//     positions the same way.

// DrawOptions tune the draw job.
type DrawOptions struct {
	// Chunk is how many entries one step reads and ranks, and the most
	// purchases one awarding step makes (default 1000).
	Chunk int
	// LockTTL is how long the lock of a draw lives without renewal (default
	// 10 s); the job renews it every LockTTL/3 while it works.
	LockTTL time.Duration
	// Until, when not zero, is when the run stops starting steps; the next
	// run carries on.
	Until time.Time
	// Concurrency bounds the purchases in flight in one awarding step
	// (default 64); they share round trips through the auto-pipeline.
	Concurrency int
}

func (o DrawOptions) withDefaults() DrawOptions {
	if o.Chunk <= 0 {
		o.Chunk = 1000
	}
	if o.LockTTL <= 0 {
		o.LockTTL = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	return o
}

// Replies of draw_start.lua, draw_hash.lua and draw_award.lua.
const (
	drawStartState   = 1
	drawStartNotDraw = 2
	drawStartNotHeld = 3
	drawStartNotYet  = 4

	drawStepApplied = 1
	drawStepNotHeld = 2
	drawStepStale   = 3

	drawLockHeld  = 1
	drawLockOther = 2
)

// errDrawLockLost ends a run whose lock another process holds now.
var errDrawLockLost = errors.New("draw lock lost")

// DrawProgress is where one activity's draw stands after a run.
type DrawProgress struct {
	// Phase is hashing or awarding ("" when the draw has not started).
	Phase string
	// Ranked is how many entries are in the draw order.
	Ranked int64
	// AwardCursor is the next position to award.
	AwardCursor int64
	// Awarded is how many purchases this run made that won.
	Awarded int
	// Done is true once the first pass of the awarding is over.
	Done bool
	// Busy is true when another process holds the draw's lock.
	Busy bool
}

// drawRun is one process's hold on one activity's draw.
type drawRun struct {
	s        *Store
	id       string
	token    string
	opts     DrawOptions
	renewed  time.Time
	seed     []byte
	progress DrawProgress
}

// RunDraw runs the draw of one activity as far as it can now: nothing before
// draw_at; then hashing, awarding, and the waitlist while units remain and
// entrants wait. It returns Busy when another process holds the draw.
func (s *Store) RunDraw(ctx context.Context, activityID string, opts DrawOptions) (DrawProgress, error) {
	opts = opts.withDefaults()
	r := &drawRun{s: s, id: activityID, token: sale.NewID() + sale.NewID(), opts: opts}
	release := func() {
		// Released on the way out so that the next run starts at once (also
		// after a failed take, which may have taken it); a release that fails
		// leaves the lock to expire.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_, _ = r.lock(ctx, 0)
	}
	held, err := r.lock(ctx, opts.LockTTL)
	if err != nil || !held {
		if err != nil {
			release()
		}
		return DrawProgress{Busy: err == nil}, err
	}
	defer release()
	err = r.run(ctx)
	if errors.Is(err, errDrawLockLost) {
		r.progress.Busy = true
		err = nil
	}
	return r.progress, err
}

// lock takes, renews (ttl > 0) or releases (ttl 0) the draw's lock.
func (r *drawRun) lock(ctx context.Context, ttl time.Duration) (bool, error) {
	reply, err := drawLockScript.Run(ctx, r.s.pipe, []string{key.DrawLock(r.id)}, r.token, ttl.Milliseconds()).Slice()
	if err != nil {
		return false, storeErr(err)
	}
	code, _ := replyInt(reply, 0)
	switch {
	case len(reply) != 1:
		return false, fmt.Errorf("draw_lock: unexpected reply %v", reply)
	case code == drawLockHeld:
		if ttl > 0 {
			r.renewed = time.Now()
		}
		return true, nil
	case code == drawLockOther:
		return false, nil
	default:
		return false, fmt.Errorf("draw_lock: unexpected reply %v", reply)
	}
}

// renew renews the lock once a third of its TTL has passed.
func (r *drawRun) renew(ctx context.Context) error {
	if time.Since(r.renewed) < r.opts.LockTTL/3 {
		return nil
	}
	held, err := r.lock(ctx, r.opts.LockTTL)
	if err != nil {
		return err
	}
	if !held {
		return errDrawLockLost
	}
	return nil
}

// drawState is draw_start.lua's reply.
type drawState struct {
	phase                          string
	scanCursor                     string
	awardCursor, now, endsAt       int64
	cancelledAt, pausedAt, holdTil int64
	remaining, entries, shards     int64
	status                         string
}

func (r *drawRun) start(ctx context.Context) (drawState, bool, error) {
	reply, err := drawStartScript.Run(ctx, r.s.pipe,
		[]string{key.Activity(r.id), key.DrawState(r.id), key.DrawLock(r.id), key.Stock(r.id)}, r.token).Slice()
	if err != nil {
		return drawState{}, false, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return drawState{}, false, fmt.Errorf("draw_start: unexpected reply %v", reply)
	}
	switch code {
	case drawStartNotDraw:
		return drawState{}, false, sale.Errorf(sale.CodeNotDraw, "activity %s does not sell by draw", r.id)
	case drawStartNotHeld:
		return drawState{}, false, errDrawLockLost
	case drawStartNotYet:
		return drawState{}, false, nil
	case drawStartState:
	default:
		return drawState{}, false, fmt.Errorf("draw_start: unexpected reply %v", reply)
	}
	if len(reply) != 13 {
		return drawState{}, false, fmt.Errorf("draw_start: unexpected reply %v", reply)
	}
	st := drawState{phase: asString(reply[1]), scanCursor: asString(reply[2]), status: asString(reply[12])}
	ints := []*int64{&st.awardCursor, &st.now, &st.endsAt, &st.cancelledAt, &st.pausedAt, &st.holdTil,
		&st.remaining, &st.entries, &st.shards}
	for i, p := range ints {
		v, ok := replyInt(reply, 3+i)
		if !ok {
			return drawState{}, false, fmt.Errorf("draw_start: unexpected reply %v", reply)
		}
		*p = v
	}
	if st.phase != "hashing" && st.phase != "awarding" {
		return drawState{}, false, fmt.Errorf("draw_start: unexpected phase %q", st.phase)
	}
	return st, true, nil
}

func (r *drawRun) stop(ctx context.Context) bool {
	return ctx.Err() != nil || !r.opts.Until.IsZero() && !time.Now().Before(r.opts.Until)
}

func (r *drawRun) run(ctx context.Context) error {
	for !r.stop(ctx) {
		if err := r.renew(ctx); err != nil {
			return err
		}
		st, started, err := r.start(ctx)
		if err != nil || !started {
			return err
		}
		r.progress.Phase, r.progress.AwardCursor = st.phase, st.awardCursor
		if st.phase == "hashing" {
			if err := r.hashStep(ctx, st); err != nil {
				return err
			}
			continue
		}
		r.progress.Ranked = st.entries
		more, err := r.awardStep(ctx, st)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// hashStep ranks one chunk of entries.
func (r *drawRun) hashStep(ctx context.Context, st drawState) error {
	if r.seed == nil {
		v, err := r.s.rdb.HGet(ctx, key.Activity(r.id), "seed").Result()
		if err != nil && err != redis.Nil {
			return storeErr(err)
		}
		seed, err := parseStoredSeed(v)
		if err != nil {
			return fmt.Errorf("activity %s: %w", r.id, err)
		}
		if seed == nil {
			return fmt.Errorf("draw activity %s has no seed", r.id)
		}
		r.seed = seed
	}
	cursor, err := strconv.ParseUint(st.scanCursor, 10, 64)
	if err != nil {
		return fmt.Errorf("draw state of %s: scan cursor %q", r.id, st.scanCursor)
	}
	users, next, err := r.s.rdb.SScan(ctx, key.DrawEntries(r.id), cursor, "", int64(r.opts.Chunk)).Result()
	if err != nil {
		return storeErr(err)
	}
	args := make([]any, 0, 3+len(users))
	args = append(args, r.token, st.scanCursor, strconv.FormatUint(next, 10))
	for _, u := range users {
		args = append(args, draworder.Member(r.seed, u))
	}
	reply, err := drawHashScript.Run(ctx, r.s.pipe,
		[]string{key.DrawState(r.id), key.DrawLock(r.id), key.DrawOrder(r.id), key.DrawEntries(r.id)}, args...).Slice()
	if err != nil {
		return storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	switch {
	case !ok:
		return fmt.Errorf("draw_hash: unexpected reply %v", reply)
	case code == drawStepNotHeld:
		return errDrawLockLost
	case code == drawStepStale:
		return nil // the next start reads the state again
	case code == drawStepApplied && len(reply) == 3:
		r.progress.Ranked, _ = replyInt(reply, 2)
		return nil
	default:
		return fmt.Errorf("draw_hash: unexpected reply %v", reply)
	}
}

// awardStep awards the next positions while units remain, and reports
// whether the run should go on.
func (r *drawRun) awardStep(ctx context.Context, st drawState) (bool, error) {
	over := st.awardCursor >= st.entries || st.cancelledAt != 0 || st.now >= st.endsAt ||
		st.shards <= 1 && st.remaining <= 0
	switch {
	case over && st.status == sale.DrawDone:
		// Nothing to award until units come back: nothing to write.
		r.progress.Done = true
		return false, nil
	case over && st.awardCursor < st.entries && st.shards <= 1 && st.remaining <= 0:
		// No unit left, yet the entrant at the cursor may hold one: a run cut
		// between its purchases and their record leaves winners the cursor
		// has not passed. Each is recorded, one step at a time (a read, not a
		// purchase, which would lease the sold-out activity), until an
		// entrant holds none.
		return r.recordHeld(ctx, st)
	case over:
		return false, r.record(ctx, st.awardCursor, st.awardCursor, true, nil)
	case st.pausedAt != 0 || st.now < st.holdTil:
		// Paused, or units held for a sold-out lease: a later run awards.
		return false, nil
	}
	// As many purchases at once as there are units left, so that they all
	// win in draw order. With several stock buckets the remaining units are
	// spread out, and one purchase at a time keeps the order.
	n := min(int64(r.opts.Chunk), st.entries-st.awardCursor)
	if st.shards <= 1 {
		n = min(n, st.remaining)
	} else {
		n = 1
	}
	members, err := r.s.rdb.ZRange(ctx, key.DrawOrder(r.id), st.awardCursor, st.awardCursor+n-1).Result()
	if err != nil {
		return false, storeErr(err)
	}
	if int64(len(members)) != n {
		return false, fmt.Errorf("draw order of %s: %d members at %d, want %d", r.id, len(members), st.awardCursor, n)
	}
	users := make([]string, n)
	for i, m := range members {
		u, ok := draworder.UserOf(m)
		if !ok {
			return false, fmt.Errorf("draw order of %s holds %q", r.id, m)
		}
		users[i] = u
	}
	results, errs := r.purchaseAll(ctx, users)
	// The cursor moves over the positions that hold a unit, up to the first
	// that does not; winners past it are recorded too (a stock cut by an admin
	// during the step can leave a gap), and that position is tried again first.
	next, gap, done := st.awardCursor, false, false
	var winners []any
	var firstErr error
	for i, res := range results {
		pos := st.awardCursor + int64(i)
		if errs[i] != nil {
			if firstErr == nil {
				firstErr = errs[i]
			}
			gap = true
			continue
		}
		switch res.Outcome {
		case sale.OutcomeWon, sale.OutcomeAlreadyWon, sale.OutcomeOrderClosed:
			winners = append(winners, pos, users[i])
			if res.Outcome == sale.OutcomeWon {
				r.progress.Awarded++
			}
			if !gap {
				next = pos + 1
			}
		case sale.OutcomeSoldOut:
			if !gap {
				done = true
			}
			gap = true
		case sale.OutcomeEnded, sale.OutcomeCancelled:
			done, gap = true, true
		case sale.OutcomePaused, sale.OutcomeNotStarted:
			gap = true
		case sale.OutcomeAdmissionRequired:
			// The activity's admission changed from draw (before the start):
			// this draw awards nothing more.
			done, gap = true, true
		default:
			return false, fmt.Errorf("draw purchase for %s: unexpected outcome %q", users[i], res.Outcome)
		}
	}
	if next >= st.entries {
		done = true
	}
	if next == st.awardCursor && len(winners) == 0 && (!done || st.status == sale.DrawDone) {
		// Nothing changed (the waitlist found no unit): nothing to write.
		r.progress.Done = st.status == sale.DrawDone
		return false, firstErr
	}
	if err := r.record(ctx, st.awardCursor, next, done, winners); err != nil {
		return false, err
	}
	r.progress.AwardCursor = next
	if firstErr != nil {
		return false, firstErr
	}
	return !gap && !done, nil
}

// recordHeld records the entrant at the award cursor as a winner if they
// hold an order, and reports whether the run should go on; otherwise the
// pass is over, as awardStep found it.
func (r *drawRun) recordHeld(ctx context.Context, st drawState) (bool, error) {
	m, err := r.s.rdb.ZRange(ctx, key.DrawOrder(r.id), st.awardCursor, st.awardCursor).Result()
	if err != nil {
		return false, storeErr(err)
	}
	if len(m) != 1 {
		return false, fmt.Errorf("draw order of %s: no member at %d", r.id, st.awardCursor)
	}
	u, ok := draworder.UserOf(m[0])
	if !ok {
		return false, fmt.Errorf("draw order of %s holds %q", r.id, m[0])
	}
	held, err := r.s.OrderOf(ctx, r.id, u)
	if err != nil {
		return false, err
	}
	if held == "" {
		if st.status == sale.DrawDone {
			r.progress.Done = true
			return false, nil
		}
		return false, r.record(ctx, st.awardCursor, st.awardCursor, true, nil)
	}
	next := st.awardCursor + 1
	if err := r.record(ctx, st.awardCursor, next, next >= st.entries, []any{st.awardCursor, u}); err != nil {
		return false, err
	}
	r.progress.AwardCursor = next
	return next < st.entries, nil
}

// record runs draw_award.lua.
func (r *drawRun) record(ctx context.Context, from, next int64, done bool, winners []any) error {
	flag := "0"
	if done {
		flag = "1"
		r.progress.Done = true
	}
	args := append([]any{r.token, from, next, flag}, winners...)
	reply, err := drawAwardScript.Run(ctx, r.s.pipe,
		[]string{key.DrawState(r.id), key.DrawLock(r.id), key.DrawWinners(r.id), key.Activity(r.id)}, args...).Slice()
	if err != nil {
		return storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	switch {
	case !ok:
		return fmt.Errorf("draw_award: unexpected reply %v", reply)
	case code == drawStepNotHeld:
		return errDrawLockLost
	case code == drawStepStale:
		return nil
	case code == drawStepApplied && len(reply) == 2:
		return nil
	default:
		return fmt.Errorf("draw_award: unexpected reply %v", reply)
	}
}

// purchaseAll makes the purchases of users at once, at most
// opts.Concurrency in flight.
func (r *drawRun) purchaseAll(ctx context.Context, users []string) ([]sale.PurchaseResult, []error) {
	results, errs := make([]sale.PurchaseResult, len(users)), make([]error, len(users))
	sem := make(chan struct{}, r.opts.Concurrency)
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer func() {
				if v := recover(); v != nil {
					errs[i] = r.s.pipe.recovered("draw purchase", v)
				}
			}()
			results[i], errs[i] = r.s.drawPurchase(ctx, r.id, u)
		}()
	}
	wg.Wait()
	return results, errs
}

// drawPurchase is the draw's purchase for one entrant: the ordinary purchase
// script, admitted by the draw, without a rate limit.
func (s *Store) drawPurchase(ctx context.Context, activityID, userID string) (sale.PurchaseResult, error) {
	return s.PurchaseAdmitted(ctx, activityID, userID, sale.Rate{}, sale.AdmissionDraw)
}

// DrawsResult is what one run of RunDraws did.
type DrawsResult struct {
	// Draws is how many draw activities the run worked on.
	Draws int
	// Awarded is how many entrants won a unit in this run.
	Awarded int
}

// RunDraws runs every draw that is due: each activity whose admission is
// "draw", from draw_at until the sale ends (the waitlist), and once more
// after the end for a draw not yet done. It walks the activity index, so it
// reaches every activity on every primary. An error of one draw does not
// stop the others; the first is returned.
func (s *Store) RunDraws(ctx context.Context, opts DrawOptions) (DrawsResult, error) {
	var res DrawsResult
	var firstErr error
	err := s.forEachActivity(ctx, func(ids []string) (bool, error) {
		due, err := s.dueDraws(ctx, ids)
		if err != nil {
			return false, err
		}
		for _, id := range due {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			p, err := s.RunDraw(ctx, id, opts)
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("draw of %s: %w", id, err)
			}
			if !p.Busy {
				res.Draws++
			}
			res.Awarded += p.Awarded
		}
		return true, nil
	})
	if err != nil {
		return res, err
	}
	return res, firstErr
}

// dueDraws returns the activities of ids whose draw may have work now, from
// one pipelined read of their fields, bucket 0's units and the draw state.
func (s *Store) dueDraws(ctx context.Context, ids []string) ([]string, error) {
	metas := make([]*redis.SliceCmd, len(ids))
	stocks := make([]*redis.StringCmd, len(ids))
	states := make([]*redis.SliceCmd, len(ids))
	var now *redis.TimeCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		now = p.Time(ctx)
		for i, id := range ids {
			metas[i] = p.HMGet(ctx, key.Activity(id), "admission", "draw_at", "ends_at", "cancelled_at", "draw_status", "shards")
			stocks[i] = p.Get(ctx, key.Stock(id))
			states[i] = p.HMGet(ctx, key.DrawState(id), "award_cursor", "entries")
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, storeErr(err)
	}
	t := now.Val().UnixMilli()
	var due []string
	for i, id := range ids {
		m := metas[i].Val()
		if len(m) != 6 || asString(m[0]) != "draw" {
			continue
		}
		num := func(v any) int64 { n, _ := strconv.ParseInt(asString(v), 10, 64); return n }
		drawAt, endsAt, cancelled, status := num(m[1]), num(m[2]), num(m[3]), asString(m[4])
		if t < drawAt || status == sale.DrawDone && (cancelled != 0 || t >= endsAt) {
			continue
		}
		if status == sale.DrawDone && num(m[5]) <= 1 {
			remaining, _ := strconv.ParseInt(stocks[i].Val(), 10, 64)
			st := states[i].Val()
			if remaining <= 0 || len(st) == 2 && num(st[0]) >= num(st[1]) {
				continue // the waitlist has nothing to award
			}
		}
		due = append(due, id)
	}
	return due, nil
}

// DrawLoop runs RunDraws every interval until ctx ends, reporting each
// error to report (nil: ignored). A panic in a run is recovered, counted
// (Panics) and reported as an error; the loop goes on.
func (s *Store) DrawLoop(ctx context.Context, every time.Duration, opts DrawOptions, report func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		err := func() (err error) {
			defer func() {
				if v := recover(); v != nil {
					err = s.pipe.recovered("draw job", v)
				}
			}()
			_, err = s.RunDraws(ctx, opts)
			return err
		}()
		if err != nil && ctx.Err() == nil && report != nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
