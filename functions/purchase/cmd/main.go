// Command purchase serves only the purchase function.
package main

import (
	"seckill/functions/platform"
	"seckill/functions/purchase"
)

func main() { platform.Main(purchase.Function) }
