package key_test

import (
	"fmt"

	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
)

// An order ID carries its activity, so the order's key is found from the ID alone.
func ExampleOrder() {
	activity, ok := sale.ActivityOfOrder("0d756df65f891aec-73207023d21c46e4")
	fmt.Println(activity, ok)
	fmt.Println(key.Order(activity, "0d756df65f891aec-73207023d21c46e4"))
	_, ok = sale.ActivityOfOrder("not-an-order")
	fmt.Println(ok)
	// Output:
	// 0d756df65f891aec true
	// sk:{act:0d756df65f891aec}:order:0d756df65f891aec-73207023d21c46e4
	// false
}

// Every key of an activity shares its hash tag, so a script that touches
// several of them stays in one Redis Cluster slot.
func ExampleStock() {
	fmt.Println(key.Activity("42"))
	fmt.Println(key.Stock("42"))
	fmt.Println(key.Buyers("42"))
	// Output:
	// sk:{act:42}:meta
	// sk:{act:42}:stock
	// sk:{act:42}:buyers
}
