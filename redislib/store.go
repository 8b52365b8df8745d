package redislib

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store runs the product's operations against Redis. It holds no state of its
// own, so any number of processes can share one Redis.
type Store struct {
	rdb redis.UniversalClient
	// pipe carries the purchase hot path: concurrent attempts share round
	// trips to Redis (see autoPipe).
	pipe *autoPipe
	// soldOut, when not nil, lets attempts on a sold-out activity be answered
	// from a snapshot read (see purchaseFromSnapshot). It needs MULTI/EXEC on
	// one connection, so it is used with a single Redis server only.
	soldOut *soldOutHints
}

// NewStore returns a Store that uses rdb.
func NewStore(rdb redis.UniversalClient) *Store {
	s := &Store{rdb: rdb, pipe: newAutoPipe(rdb)}
	if _, single := rdb.(*redis.Client); single {
		s.soldOut = &soldOutHints{}
	}
	return s
}

// Client returns the underlying Redis client.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

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

// NewProduct is what a product is created from.
type NewProduct struct {
	Name        string
	Description string
	Price       int64
}

// CreateProduct creates a product with a new ID.
func (s *Store) CreateProduct(ctx context.Context, in NewProduct) (Product, error) {
	id := NewID()
	now, err := productCreateScript.Run(ctx, s.rdb, []string{ProductKey(id), ProductsIndexKey()},
		id, in.Name, in.Description, in.Price).Int64()
	if err != nil {
		return Product{}, storeErr(err)
	}
	if now == 0 {
		return Product{}, fmt.Errorf("product id %s already exists", id)
	}
	t := msTime(now)
	return Product{ID: id, Name: in.Name, Description: in.Description, Price: in.Price, CreatedAt: t, UpdatedAt: t}, nil
}

// Product returns the product with the given ID, deleted or not.
func (s *Store) Product(ctx context.Context, id string) (Product, error) {
	h, err := s.rdb.HGetAll(ctx, ProductKey(id)).Result()
	if err != nil {
		return Product{}, storeErr(err)
	}
	if len(h) == 0 {
		return Product{}, Errorf(CodeProductNotFound, "product %s not found", id)
	}
	return productFromHash(h), nil
}

// NewActivity is what an activity is created from.
type NewActivity struct {
	ProductID     string
	Stock         int64
	Price         int64
	StartsAt      time.Time
	EndsAt        time.Time
	PaymentWindow int64 // seconds
}

// CreateActivity registers an activity with its product (which must exist and
// not be deleted, and EndsAt must be in the future by Redis time), then writes
// the activity and its stock.
func (s *Store) CreateActivity(ctx context.Context, in NewActivity) (Activity, error) {
	id := NewID()
	code, err := activityRegisterScript.Run(ctx, s.rdb,
		[]string{ProductKey(in.ProductID), ProductActivitiesKey(in.ProductID), ActivitiesIndexKey(), ProductActivityEndsKey(in.ProductID)},
		id, in.EndsAt.UnixMilli()).Int()
	if err != nil {
		return Activity{}, storeErr(err)
	}
	switch code {
	case 0:
	case 1:
		return Activity{}, Errorf(CodeUnknownProduct, "product %s does not exist", in.ProductID)
	case 2:
		return Activity{}, Errorf(CodeProductDeleted, "product %s is deleted", in.ProductID)
	case 3:
		return Activity{}, Errorf(CodeEndsInPast, "ends_at must be in the future")
	default:
		return Activity{}, fmt.Errorf("activity_register: unexpected reply %d", code)
	}
	created, err := activityCreateScript.Run(ctx, s.rdb, []string{ActivityKey(id), StockKey(id)},
		id, in.ProductID, in.Stock, in.Price, in.StartsAt.UnixMilli(), in.EndsAt.UnixMilli(), in.PaymentWindow).Int64()
	if err != nil {
		return Activity{}, storeErr(err)
	}
	if created == 0 {
		return Activity{}, fmt.Errorf("activity id %s already exists", id)
	}
	return s.Activity(ctx, id)
}

// Activity returns the activity with the given ID, its status derived from
// Redis time and stock in the same atomic read.
func (s *Store) Activity(ctx context.Context, id string) (Activity, error) {
	var meta *redis.MapStringStringCmd
	var stock *redis.StringCmd
	var now *redis.TimeCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HGetAll(ctx, ActivityKey(id))
		stock = p.Get(ctx, StockKey(id))
		now = p.Time(ctx)
		return nil
	})
	if err != nil && err != redis.Nil {
		return Activity{}, storeErr(err)
	}
	if len(meta.Val()) == 0 {
		return Activity{}, Errorf(CodeActivityNotFound, "activity %s not found", id)
	}
	remaining, _ := strconv.ParseInt(stock.Val(), 10, 64)
	return activityFromHash(meta.Val(), remaining, now.Val().UnixMilli()), nil
}

// Purchase makes one purchase attempt for userID in the activity. A winner's
// order is added to the user's order history before Purchase returns, so an
// acknowledged win is always in the history.
func (s *Store) Purchase(ctx context.Context, activityID, userID string) (PurchaseResult, error) {
	if s.soldOut != nil && s.soldOut.has(activityID) {
		res, decided, err := s.purchaseFromSnapshot(ctx, activityID, userID)
		if decided || err != nil {
			return res, err
		}
		s.soldOut.clear(activityID)
	}
	orderID := NewOrderID(activityID)
	keys := []string{
		ActivityKey(activityID), StockKey(activityID), BuyersKey(activityID), OrderKey(activityID, orderID),
		OrdersIndexKey(activityID), PendingKey(activityID), EventsKey(activityID),
	}
	reply, err := purchaseScript.Run(ctx, s.pipe, keys, userID, orderID).Slice()
	if err != nil {
		return PurchaseResult{}, storeErr(err)
	}
	code, _ := reply[0].(int64)
	switch code {
	case 0:
		return PurchaseResult{}, Errorf(CodeActivityNotFound, "activity %s not found", activityID)
	case 1:
		created, _ := reply[2].(int64)
		if err := s.pipe.Process(ctx, redis.NewIntCmd(ctx, "zadd", UserOrdersKey(userID), created, orderID)); err != nil {
			return PurchaseResult{}, storeErr(err)
		}
		return PurchaseResult{Outcome: OutcomeWon, OrderID: orderID}, nil
	case 2:
		held, _ := reply[1].(string)
		return PurchaseResult{Outcome: OutcomeAlreadyWon, OrderID: held}, nil
	case 3:
		if s.soldOut != nil {
			s.soldOut.set(activityID)
		}
		return PurchaseResult{Outcome: OutcomeSoldOut}, nil
	case 4:
		return PurchaseResult{Outcome: OutcomeNotStarted}, nil
	case 5:
		return PurchaseResult{Outcome: OutcomeEnded}, nil
	case 6:
		return PurchaseResult{Outcome: OutcomeCancelled}, nil
	default:
		return PurchaseResult{}, fmt.Errorf("purchase: unexpected reply %v", reply)
	}
}

// OrderOf returns the ID of userID's order in the activity, or "" when the
// user has not won there.
func (s *Store) OrderOf(ctx context.Context, activityID, userID string) (string, error) {
	var exists *redis.IntCmd
	var held *redis.StringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, ActivityKey(activityID))
		held = p.HGet(ctx, BuyersKey(activityID), userID)
		return nil
	})
	if err != nil && err != redis.Nil {
		return "", storeErr(err)
	}
	if exists.Val() == 0 {
		return "", Errorf(CodeActivityNotFound, "activity %s not found", activityID)
	}
	return held.Val(), nil
}
