package redistest

import "seckill/redislib/internal/key"

// Keys of the store (see package redislib/internal/key), for tests that read
// or change Redis directly.
var (
	ProductKey         = key.Product
	ProductsIndexKey   = key.ProductsIndex
	ActivityKey        = key.Activity
	ActivitiesIndexKey = key.ActivitiesIndex
	StockKey           = key.Stock
	BuyersKey          = key.Buyers
	OrderKey           = key.Order
	OrdersIndexKey     = key.OrdersIndex
	PendingKey         = key.Pending
	UserOrdersKey      = key.UserOrders
)

// Keys of the waiting room (see package redislib/internal/key).
var (
	QueueKey         = key.Queue
	QueueAdmittedKey = key.QueueAdmitted
)
