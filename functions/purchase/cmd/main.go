// Command purchase serves only the purchase function.
package main

import (
	"seckill/functions/purchase"
	"seckill/functions/server"
)

func main() { server.Main(purchase.Function) }
