package redislib

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The waiting room of an activity whose admission is queue. Shoppers join
// (queue_place.lua); a background job in every process moves the admission
// frontier at the activity's admit rate (queue_advance.lua); the first
// `frontier` places are admitted for admission_ttl seconds, and the HTTP layer
// gives each admitted user a signed admission token that the purchase
// function verifies in process. See redislib/queue.md.

// QueueBound is K: the places the frontier passed in the last admission_ttl
// seconds (the admissions that may still be alive), less the units sold
// meanwhile, stay at most K times the units remaining.
const QueueBound = 2

// QueueAdvanceEvery is how often the background job moves the frontiers.
const QueueAdvanceEvery = 200 * time.Millisecond

// Replies of queue_place.lua.
const (
	queuePlaceWaiting  = 1
	queuePlaceAdmitted = 2
	queuePlaceExpired  = 3
	queuePlaceSoldOut  = 4
	queuePlaceNotOpen  = 5
	queuePlaceNoPlace  = 6
	queuePlaceNotQueue = 7
	queuePlaceClosed   = 8
	queuePlaceNotFound = 9
)

// Replies of queue_advance.lua.
const (
	queueAdvanceApplied = 1
	queueAdvanceGone    = 2
	queueAdvanceClosed  = 3
	queueAdvanceEarly   = 4
)

// preStartPlaceBits is the size of a place drawn before the start: places
// after the start are 2^52 + a sequence number, and every place stays below
// 2^53, exact in a ZSET's double score.
const preStartPlaceBits = 52

// JoinQueue joins userID to the activity's waiting room, in one round trip,
// and returns where the user stands. A repeat keeps the first place. Before
// starts_at the place is a uniformly random one (crypto/rand), so joining
// early or often gains nothing; from starts_at places follow arrival order,
// behind everyone who joined before. Refused: not_queue (the activity's
// admission is not queue), activity_ended, activity_cancelled; before
// queue_opens_at the status is sale.QueueNotOpen and nothing is written.
func (s *Store) JoinQueue(ctx context.Context, activityID, userID string) (sale.QueueStatus, error) {
	st, err := s.queuePlace(ctx, activityID, userID, true)
	if err == nil && st.Status != sale.QueueNotOpen {
		s.indexQueue(ctx, activityID)
	}
	return st, err
}

// QueueStatusOf returns where userID stands in the activity's waiting room
// (not_in_queue when the user has not joined). The first look once admitted
// records the admission's time, so its expiry never moves.
func (s *Store) QueueStatusOf(ctx context.Context, activityID, userID string) (sale.QueueStatus, error) {
	return s.queuePlace(ctx, activityID, userID, false)
}

// prestartPlace draws a uniform place below 2^52 for a join before the start.
func prestartPlace() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return int64(binary.BigEndian.Uint64(b[:]) >> (64 - preStartPlaceBits))
}

func (s *Store) queuePlace(ctx context.Context, activityID, userID string, join bool) (sale.QueueStatus, error) {
	keys := []string{key.Activity(activityID), key.Queue(activityID), key.QueueState(activityID), key.QueueAdmitted(activityID),
		key.QueueLog(activityID)}
	flag := "0"
	if join {
		flag = "1"
	}
	reply, err := queuePlaceScript.Run(ctx, s.pipe, keys, userID, flag, prestartPlace()).Slice()
	if err != nil {
		return sale.QueueStatus{}, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return sale.QueueStatus{}, fmt.Errorf("queue_place: unexpected reply %v", reply)
	}
	ints := func(n int) ([]int64, bool) {
		if len(reply) != n+1 {
			return nil, false
		}
		out := make([]int64, n)
		for i := range out {
			if out[i], ok = replyInt(reply, i+1); !ok {
				return nil, false
			}
		}
		return out, true
	}
	switch code {
	case queuePlaceNotFound:
		return sale.QueueStatus{}, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", activityID)
	case queuePlaceNotQueue:
		return sale.QueueStatus{}, sale.Errorf(sale.CodeNotQueue, "activity %s has no waiting room: its admission is not queue", activityID)
	case queuePlaceNoPlace:
		return sale.QueueStatus{}, sale.Errorf(sale.CodeNotInQueue, "user %s has not joined the waiting room of activity %s", userID, activityID)
	case queuePlaceSoldOut:
		return sale.QueueStatus{Status: sale.QueueSoldOut}, nil
	case queuePlaceClosed:
		if len(reply) == 2 && asString(reply[1]) == "cancelled" {
			return sale.QueueStatus{}, sale.Errorf(sale.CodeActivityCancelled, "activity %s is cancelled", activityID)
		}
		if len(reply) == 2 && asString(reply[1]) == "ended" {
			return sale.QueueStatus{}, sale.Errorf(sale.CodeActivityEnded, "activity %s has ended", activityID)
		}
	case queuePlaceNotOpen:
		if v, ok := ints(1); ok {
			t := msTime(v[0])
			return sale.QueueStatus{Status: sale.QueueNotOpen, QueueOpensAt: &t}, nil
		}
	case queuePlaceWaiting:
		if v, ok := ints(4); ok {
			ahead, rate, starts, now := v[0], max(v[1], 1), v[2], v[3]
			wait := (ahead + rate - 1) / rate
			if now < starts {
				wait += (starts - now + 999) / 1000
			}
			return sale.QueueStatus{Status: sale.QueueWaiting, Position: ahead + 1, Ahead: ahead, EstimatedWaitSeconds: wait}, nil
		}
	case queuePlaceAdmitted, queuePlaceExpired:
		if v, ok := ints(2); ok {
			at, exp := msTime(v[0]), msTime(v[1])
			st := sale.QueueStatus{Status: sale.QueueAdmitted, ExpiresAt: &exp}
			if v[0] > 0 {
				st.AdmittedAt = &at
			}
			if code == queuePlaceExpired {
				st.Status = sale.QueueExpired
			}
			return st, nil
		}
	}
	return sale.QueueStatus{}, fmt.Errorf("queue_place: unexpected reply %v", reply)
}

// indexQueue adds the activity to the index the background job walks, once
// per process (SADD of a member already there writes nothing).
func (s *Store) indexQueue(ctx context.Context, activityID string) {
	if _, known := s.queues.Load(activityID); known {
		return
	}
	if err := s.rdb.SAdd(ctx, key.QueuesIndex(), activityID).Err(); err == nil {
		s.queues.Store(activityID, true)
	}
}

// QueueState is the outcome of one move of an activity's frontier.
type QueueState struct {
	ActivityID string `json:"activity_id"`
	// Frontier is the number of places admitted.
	Frontier int64 `json:"frontier"`
	SoldOut  bool  `json:"sold_out"`
	// Done is true when the activity has ended, was cancelled or is no
	// longer a queue: nothing more to admit.
	Done bool `json:"done"`
}

// AdvanceQueue moves the activity's admission frontier (queue_advance.lua)
// with the units remaining read just before; any number of processes may
// run it at once.
func (s *Store) AdvanceQueue(ctx context.Context, activityID string) (QueueState, error) {
	st := QueueState{ActivityID: activityID}
	a, err := s.Activity(ctx, activityID)
	if sale.ErrorCode(err) == sale.CodeActivityNotFound {
		st.Done = true
		return st, nil
	}
	if err != nil {
		return st, err
	}
	keys := []string{key.Activity(activityID), key.Queue(activityID), key.QueueState(activityID), key.QueueLog(activityID)}
	reply, err := queueAdvanceScript.Run(ctx, s.pipe, keys, a.Remaining, QueueBound, a.Sold).Slice()
	if err != nil {
		return st, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return st, fmt.Errorf("queue_advance: unexpected reply %v", reply)
	}
	switch code {
	case queueAdvanceApplied:
		f, ok1 := replyInt(reply, 1)
		so, ok2 := replyInt(reply, 2)
		if !ok1 || !ok2 || len(reply) != 3 {
			return st, fmt.Errorf("queue_advance: unexpected reply %v", reply)
		}
		st.Frontier, st.SoldOut = f, so == 1
		return st, nil
	case queueAdvanceGone, queueAdvanceClosed:
		st.Done = true
		return st, nil
	case queueAdvanceEarly:
		return st, nil
	default:
		return st, fmt.Errorf("queue_advance: unexpected reply %v", reply)
	}
}

// AdvanceQueues moves the frontier of every queue activity someone joined,
// and drops from the index those with nothing more to admit. It returns the
// states it reached; the first error stops nothing but is returned.
func (s *Store) AdvanceQueues(ctx context.Context) ([]QueueState, error) {
	ids, err := s.rdb.SMembers(ctx, key.QueuesIndex()).Result()
	if err != nil {
		return nil, storeErr(err)
	}
	var out []QueueState
	var first error
	for _, id := range ids {
		if !sale.ValidID(id) {
			continue
		}
		st, err := s.AdvanceQueue(ctx, id)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		if st.Done {
			if err := s.rdb.SRem(ctx, key.QueuesIndex(), id).Err(); err != nil && first == nil {
				first = storeErr(err)
			}
			s.queues.Delete(id)
		}
		out = append(out, st)
	}
	return out, first
}

// RunQueues moves every queue's frontier each QueueAdvanceEvery until ctx
// ends; each round's outcome (nil or its first error) is passed to report
// (nil: ignored), and the next round goes on.
func (s *Store) RunQueues(ctx context.Context, report func(error)) {
	tick := time.NewTicker(QueueAdvanceEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		round, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := s.AdvanceQueues(round)
		cancel()
		if report != nil && ctx.Err() == nil {
			report(err)
		}
	}
}

// QueueLength reads how many users an activity's waiting room holds and has
// admitted. It is refused with not_queue when the activity's admission is
// not queue.
func (s *Store) QueueLength(ctx context.Context, activityID string) (sale.QueueLength, error) {
	a, err := s.Activity(ctx, activityID) // checks the ID
	if err != nil {
		return sale.QueueLength{}, err
	}
	if a.Admission != sale.AdmissionQueue {
		return sale.QueueLength{}, sale.Errorf(sale.CodeNotQueue, "activity %s admits by %s, not by a queue", activityID, a.Admission)
	}
	var joined *redis.IntCmd
	var state *redis.SliceCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		joined = p.ZCard(ctx, key.Queue(activityID))
		state = p.HMGet(ctx, key.QueueState(activityID), "frontier", "sold_out")
		return nil
	})
	if err != nil {
		return sale.QueueLength{}, storeErr(err)
	}
	v := state.Val()
	if len(v) != 2 {
		return sale.QueueLength{}, fmt.Errorf("queue state: unexpected reply %v", v)
	}
	str := func(x any) string { s, _ := x.(string); return s }
	// The frontier moves in fractions of a place (queue_advance.lua): the
	// places it has passed are its whole part.
	frontier, _ := strconv.ParseFloat(str(v[0]), 64)
	n := sale.QueueLength{Joined: joined.Val(), Admitted: min(int64(frontier), joined.Val()), SoldOut: str(v[1]) == "1", AdmitRate: a.AdmitRate}
	n.Waiting = n.Joined - n.Admitted
	return n, nil
}
