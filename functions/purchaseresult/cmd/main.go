// Command purchaseresult serves only the purchaseresult function.
package main

import (
	"seckill/functions/purchaseresult"
	"seckill/functions/server"
)

func main() { server.Main(purchaseresult.Function) }
