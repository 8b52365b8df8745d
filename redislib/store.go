package redislib

import (
	"context"
	"fmt"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store runs the product's operations against Redis. Redis holds every
// piece of state; what a Store keeps in memory (its sold-out leases) is only
// ever used while Redis guarantees it is still true, so any number of
// processes can share one Redis.
type Store struct {
	rdb redis.UniversalClient
	// pipe carries the purchase hot path: concurrent attempts share round
	// trips to Redis (see autoPipe).
	pipe *autoPipe
	// single is true on one Redis server, where the purchase script can also
	// write the user's order history (on a cluster it lives in another slot).
	single bool
	// soldOut answers attempts on sold-out activities from memory (see
	// leases.go); nil when off.
	soldOut *soldOutCache
	// bucketCounts caches each activity's number of stock buckets, which never
	// changes (see bucketCount), while the activity is looked up (memory.go).
	bucketCounts *bucketCountCache
	// mem bounds what the Store keeps about activities; sweeping is true
	// while its sweeper runs (memory.go).
	mem      memoryBounds
	sweeping atomic.Bool
	// queues are the queue activities this process has put in the
	// waiting rooms' index (queue.go); dropped once they end.
	queues sync.Map
}

// Option configures a Store.
type Option func(*Store)

// SoldOutBuyers bounds how many buyers the Store keeps in memory to answer
// attempts on sold-out activities (DefaultSoldOutBuyers unless set). Zero
// turns those answers from memory off: every attempt then runs the purchase
// script.
func SoldOutBuyers(n int) Option {
	return func(s *Store) {
		s.soldOut = nil
		if n > 0 {
			s.soldOut = newSoldOutCache(s, n)
		}
	}
}

// ReplicaAcks makes every write wait until n replicas have received it (WAIT
// n timeout on the write's connection) before it is acknowledged; a write
// not confirmed in time fails with store_unavailable (see ErrReplicaAck).
// 0, the default, waits for none: acknowledged then means fsynced on the
// primary only. See Config.ReplicaAcks.
func ReplicaAcks(n int, timeout time.Duration) Option {
	return func(s *Store) {
		s.pipe.acks, s.pipe.ackTimeout = max(n, 0), timeout
	}
}

// NewStore returns a Store that uses rdb.
func NewStore(rdb redis.UniversalClient, opts ...Option) *Store {
	_, single := rdb.(*redis.Client)
	s := &Store{rdb: rdb, pipe: newAutoPipe(rdb), single: single,
		mem: memoryBounds{every: sweepEvery, leaseIdle: leaseIdle, countsPeriod: countsPeriod}}
	s.bucketCounts = newBucketCountCache(maxCachedBucketCounts, s.wakeSweeper)
	s.soldOut = newSoldOutCache(s, DefaultSoldOutBuyers)
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// PoolStats returns the statistics of the Redis client's connection pools
// (on a cluster, summed over its nodes).
func (s *Store) PoolStats() *redis.PoolStats { return s.rdb.PoolStats() }

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error { return storeErr(s.rdb.Ping(ctx).Err()) }

// Now returns Redis's clock to the millisecond: the clock that decides every
// time window (an activity's start and end, an order's payment deadline), so
// a client that counts down to one of them reads this clock, not its own.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	t, err := s.rdb.Time(ctx).Result()
	if err != nil {
		return time.Time{}, storeErr(err)
	}
	return msTime(t.UnixMilli()), nil
}

// Replies of product_create.lua and activity_create.lua.
const (
	createWritten = 1
	createExists  = 2
)

// CreateProduct creates a product with a new ID.
func (s *Store) CreateProduct(ctx context.Context, in sale.NewProduct) (sale.Product, error) {
	if err := in.Validate(); err != nil {
		return sale.Product{}, err
	}
	id := sale.NewID()
	reply, code, err := s.decide(ctx, productCreateScript, "product_create", []string{key.Product(id), key.ProductsIndex(), key.ProductAudit(id)},
		id, in.Name, in.Description, in.Price, sale.ActorOf(ctx))
	if err != nil {
		return sale.Product{}, err
	}
	now, ok := replyInt(reply, 1)
	switch {
	case code == createWritten && ok:
	case code == createExists:
		return sale.Product{}, fmt.Errorf("product id %s already exists", id)
	default:
		return sale.Product{}, unexpected("product_create", reply)
	}
	t := msTime(now)
	return sale.Product{ID: id, Name: in.Name, Description: in.Description, Price: in.Price, CreatedAt: t, UpdatedAt: t}, nil
}

// Product returns the product with the given ID, deleted or not.
func (s *Store) Product(ctx context.Context, id string) (sale.Product, error) {
	if err := sale.CheckID("product_id", id); err != nil {
		return sale.Product{}, err
	}
	h, err := s.rdb.HGetAll(ctx, key.Product(id)).Result()
	if err != nil {
		return sale.Product{}, storeErr(err)
	}
	if len(h) == 0 {
		return sale.Product{}, sale.Errorf(sale.CodeProductNotFound, "product %s not found", id)
	}
	return productFromHash(h), nil
}

// Replies of activity_register.lua.
const (
	activityRegisterRegistered     = 1
	activityRegisterUnknownProduct = 2
	activityRegisterProductDeleted = 3
	activityRegisterEndsInPast     = 4
)

// CreateActivity registers an activity with its product (which must exist and
// not be deleted, and EndsAt must be in the future by Redis time), then writes
// the activity and its stock.
//
// An activity of more than one bucket has its buckets 1..N-1 written before
// the activity itself, so all exist once it does; a crash in between leaves
// buckets no activity refers to, and no 201.
func (s *Store) CreateActivity(ctx context.Context, in sale.NewActivity) (sale.Activity, error) {
	if in.Buckets == 0 {
		in.Buckets = 1
	}
	if err := in.Validate(); err != nil {
		return sale.Activity{}, err
	}
	n := in.Buckets
	id := sale.NewID()
	_, code, err := s.decide(ctx, activityRegisterScript, "activity_register",
		[]string{key.Product(in.ProductID), key.ProductActivities(in.ProductID), key.ActivitiesIndex(), key.ProductActivityEnds(in.ProductID)},
		id, in.EndsAt.UnixMilli())
	if err != nil {
		return sale.Activity{}, err
	}
	switch code {
	case activityRegisterRegistered:
	case activityRegisterUnknownProduct:
		return sale.Activity{}, sale.Errorf(sale.CodeUnknownProduct, "product %s does not exist", in.ProductID)
	case activityRegisterProductDeleted:
		return sale.Activity{}, sale.Errorf(sale.CodeProductDeleted, "product %s is deleted", in.ProductID)
	case activityRegisterEndsInPast:
		return sale.Activity{}, sale.Errorf(sale.CodeEndsInPast, "ends_at must be in the future")
	default:
		return sale.Activity{}, fmt.Errorf("activity_register: unexpected reply code %d", code)
	}
	if n > 1 {
		if err := s.createBuckets(ctx, id, in, n); err != nil {
			return sale.Activity{}, err
		}
	}
	args := append([]any{id, in.ProductID, in.Stock, in.Price, in.StartsAt.UnixMilli(), in.EndsAt.UnixMilli(), in.PaymentWindow,
		n, splitUnits(in.Stock, n, 0), sale.ActorOf(ctx), in.ModeOrOpen()}, admissionArgs(in.AdmissionSettings)...)
	reply, code, err := s.decide(ctx, activityCreateScript, "activity_create", []string{key.Activity(id), key.Stock(id), key.ActivityAudit(id)}, args...)
	if err != nil {
		return sale.Activity{}, err
	}
	switch _, ok := replyInt(reply, 1); {
	case code == createWritten && ok:
	case code == createExists:
		return sale.Activity{}, fmt.Errorf("activity id %s already exists", id)
	default:
		return sale.Activity{}, unexpected("activity_create", reply)
	}
	s.bucketCounts.Store(id, n)
	return s.Activity(ctx, id)
}

// Activity returns the activity with the given ID, its status derived from
// Redis time and stock in the same atomic read (for an activity of several
// buckets, in rounds: see snapshot).
func (s *Store) Activity(ctx context.Context, id string) (sale.Activity, error) {
	if err := sale.CheckID("activity_id", id); err != nil {
		return sale.Activity{}, err
	}
	var meta *redis.MapStringStringCmd
	var stock *redis.StringCmd
	var now *redis.TimeCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HGetAll(ctx, key.Activity(id))
		stock = p.Get(ctx, key.Stock(id))
		now = p.Time(ctx)
		return nil
	})
	if err != nil && err != redis.Nil {
		return sale.Activity{}, storeErr(err)
	}
	if len(meta.Val()) == 0 {
		return sale.Activity{}, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", id)
	}
	if n := hashInt(meta.Val(), "shards"); n > 1 {
		return s.bucketedActivity(ctx, id, int(n))
	}
	// An absent stock key (redis.Nil) holds no units.
	var remaining int64
	if stock.Err() == nil {
		if remaining, err = strconv.ParseInt(stock.Val(), 10, 64); err != nil {
			return sale.Activity{}, fmt.Errorf("activity %s holds stock %q", id, stock.Val())
		}
	}
	return activityFromHash(meta.Val(), remaining, now.Val().UnixMilli()), nil
}

// Replies of purchase.lua.
const (
	purchaseWon         = 1
	purchaseAlreadyWon  = 2
	purchaseSoldOut     = 3
	purchaseNotStarted  = 4
	purchaseEnded       = 5
	purchaseCancelled   = 6
	purchaseRateLimited = 7
	purchaseOrderClosed = 8
	purchasePaused      = 9
	purchaseNotFound    = 10
)

// Purchase makes one purchase attempt for userID in the activity.
// A winner's order is in the user's order history before it returns, so an
// acknowledged win is always in the history.
//
// limit is the user's rate limit in this activity, shared by every process
// through Redis and counted in the purchase script's own round trip: past it,
// the error is a *RateLimitedError. A win is not counted (a user wins once;
// every later attempt answers already_won or order_closed and is), and
// attempts answered from a sold-out lease cost less than the limit would and
// are not counted either.
func (s *Store) Purchase(ctx context.Context, activityID, userID string, limit sale.Rate) (sale.PurchaseResult, error) {
	return s.PurchaseAdmitted(ctx, activityID, userID, limit, "")
}

// PurchaseAdmitted is Purchase for a user whose admission the caller has
// verified: admitted is sale.AdmissionQueue for a valid admission token of
// the waiting room, sale.AdmissionDraw for the draw awarding an entrant, ""
// for none. In an activity whose admission is queue or draw, an attempt
// admitted by anything else answers sale.OutcomeAdmissionRequired, checked in
// the purchase script; open activities ignore admitted.
func (s *Store) PurchaseAdmitted(ctx context.Context, activityID, userID string, limit sale.Rate, admitted string) (sale.PurchaseResult, error) {
	if err := sale.CheckID("activity_id", activityID); err != nil {
		return sale.PurchaseResult{}, err
	}
	if err := sale.CheckUserID(userID); err != nil {
		return sale.PurchaseResult{}, err
	}
	if s.soldOut != nil {
		if res, ok := s.soldOut.answer(activityID, userID); ok {
			return res, nil
		}
	}
	n, err := s.bucketCount(ctx, activityID)
	if err != nil {
		return sale.PurchaseResult{}, err
	}
	k := bucketOf(userID, n)
	orderID := sale.NewOrderID(activityID, k)
	for range maxRefills {
		res, soldOut, err := s.purchaseIn(ctx, activityID, k, userID, orderID, limit, admitted)
		if err != nil || !soldOut {
			return res, err
		}
		if n == 1 {
			return s.lost(activityID, sale.OutcomeSoldOut), nil
		}
		// The user's bucket is empty; another may not be. The rate limit was
		// counted by the first try.
		limit = sale.Rate{}
		more, err := s.refill(ctx, activityID, n, k)
		if err != nil {
			return sale.PurchaseResult{}, err
		}
		if !more {
			return s.lost(activityID, sale.OutcomeSoldOut), nil
		}
	}
	return sale.PurchaseResult{}, sale.Errorf(sale.CodeStoreUnavailable, "the last units are moving between buckets; try again")
}

// purchaseIn runs purchase.lua in bucket k. soldOut is true when the bucket
// answered sold_out (the caller decides what that means for the activity).
func (s *Store) purchaseIn(ctx context.Context, activityID string, k int, userID, orderID string, limit sale.Rate, admitted string) (res sale.PurchaseResult, soldOut bool, err error) {
	keys := []string{
		key.BucketMeta(activityID, k), key.BucketStock(activityID, k), key.BucketBuyers(activityID, k),
		key.BucketOrder(activityID, k, orderID), key.BucketOrders(activityID, k), key.BucketPending(activityID, k),
		key.Events(activityID, k), key.PurchaseLimit(activityID, k, userID),
	}
	history := "0"
	if s.single {
		keys, history = append(keys, key.UserOrders(userID)), "1"
	}
	reply, err := purchaseScript.Run(ctx, s.pipe, keys, userID, orderID, interval(limit), limit.Burst, history, admitted).Slice()
	if err != nil {
		return sale.PurchaseResult{}, false, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return sale.PurchaseResult{}, false, fmt.Errorf("purchase: unexpected reply %v", reply)
	}
	switch code {
	case purchaseNotFound:
		return sale.PurchaseResult{}, false, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", activityID)
	case purchaseWon:
		created, ok := replyInt(reply, 2)
		if !ok {
			return sale.PurchaseResult{}, false, fmt.Errorf("purchase: unexpected reply %v", reply)
		}
		if err := s.addToHistory(ctx, userID, orderID, created); err != nil {
			return sale.PurchaseResult{}, false, err
		}
		return sale.PurchaseResult{Outcome: sale.OutcomeWon, OrderID: orderID}, false, nil
	case purchaseAlreadyWon:
		if len(reply) != 3 {
			return sale.PurchaseResult{}, false, fmt.Errorf("purchase: unexpected reply %v", reply)
		}
		created, ok := replyInt(reply, 2)
		held := asString(reply[1])
		if held == "" || !ok {
			return sale.PurchaseResult{}, false, fmt.Errorf("purchase: unexpected reply %v", reply)
		}
		// The win may have been answered 503 before its history entry was
		// written (on a cluster it is a second write, on another node).
		if err := s.addToHistory(ctx, userID, held, created); err != nil {
			return sale.PurchaseResult{}, false, err
		}
		// Nor may it be on the replicas yet (its WAIT timed out).
		if err := s.confirmReplicated(ctx, activityID, k); err != nil {
			return sale.PurchaseResult{}, false, err
		}
		return sale.PurchaseResult{Outcome: sale.OutcomeAlreadyWon, OrderID: held}, false, nil
	case purchaseOrderClosed:
		if len(reply) != 4 {
			return sale.PurchaseResult{}, false, fmt.Errorf("purchase: unexpected reply %v", reply)
		}
		created, ok := replyInt(reply, 2)
		held, status := asString(reply[1]), asString(reply[3])
		if held == "" || !ok || (status != sale.OrderCancelled && status != sale.OrderExpired) {
			return sale.PurchaseResult{}, false, fmt.Errorf("purchase: unexpected reply %v", reply)
		}
		// As for already_won: the closed order's win may have been answered
		// 503 before its history entry was written.
		if err := s.addToHistory(ctx, userID, held, created); err != nil {
			return sale.PurchaseResult{}, false, err
		}
		return sale.PurchaseResult{Outcome: sale.OutcomeOrderClosed, OrderID: held, Status: status}, false, nil
	case purchaseSoldOut:
		return sale.PurchaseResult{}, true, nil
	case purchaseNotStarted:
		return s.lost(activityID, sale.OutcomeNotStarted), false, nil
	case purchaseEnded:
		return s.lost(activityID, sale.OutcomeEnded), false, nil
	case purchaseCancelled:
		return s.lost(activityID, sale.OutcomeCancelled), false, nil
	case purchasePaused:
		return s.lost(activityID, sale.OutcomePaused), false, nil
	case purchaseAdmissionRequired:
		return sale.PurchaseResult{Outcome: sale.OutcomeAdmissionRequired}, false, nil
	case purchaseRateLimited:
		wait, ok := replyInt(reply, 1)
		if !ok {
			return sale.PurchaseResult{}, false, fmt.Errorf("purchase: unexpected reply %v", reply)
		}
		return sale.PurchaseResult{}, false, &sale.RateLimitedError{Wait: time.Duration(wait) * time.Microsecond}
	default:
		return sale.PurchaseResult{}, false, fmt.Errorf("purchase: unexpected reply %v", reply)
	}
}

// addToHistory adds a won order to the user's order history on a cluster,
// where the purchase script cannot (the history lives in another slot). It
// goes through the auto-pipeline, so with replica acks it is acknowledged
// only once replicas hold it too. Adding an entry again changes nothing.
// On one server the script wrote it already.
func (s *Store) addToHistory(ctx context.Context, userID, orderID string, created int64) error {
	if s.single {
		return nil
	}
	return storeErr(s.pipe.Process(ctx, redis.NewIntCmd(ctx, "zadd", key.UserOrders(userID), created, orderID)))
}

// lost returns a losing outcome from the purchase script, and lets the
// sold-out leases know: if the activity is sold out too, later attempts may
// be answered from memory.
func (s *Store) lost(activityID string, outcome sale.Outcome) sale.PurchaseResult {
	if s.soldOut != nil {
		s.soldOut.lost(activityID)
	}
	return sale.PurchaseResult{Outcome: outcome}
}

// OrderOf returns the ID of userID's order in the activity, or "" when the
// user has not won there. With replica acks, a win is returned only once the
// replicas hold it (see confirmReplicated).
func (s *Store) OrderOf(ctx context.Context, activityID, userID string) (string, error) {
	if err := sale.CheckID("activity_id", activityID); err != nil {
		return "", err
	}
	if err := sale.CheckUserID(userID); err != nil {
		return "", err
	}
	n, err := s.bucketCount(ctx, activityID)
	if err != nil {
		return "", err
	}
	k := bucketOf(userID, n)
	held, err := s.rdb.HGet(ctx, key.BucketBuyers(activityID, k), userID).Result()
	if err != nil && err != redis.Nil {
		return "", storeErr(err)
	}
	if held != "" {
		// A win is reported only once the replicas hold it.
		if err := s.confirmReplicated(ctx, activityID, k); err != nil {
			return "", err
		}
	}
	return held, nil
}
