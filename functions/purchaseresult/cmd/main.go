// Command purchaseresult serves only the purchaseresult function.
package main

import (
	"seckill/functions/platform"
	"seckill/functions/purchaseresult"
)

func main() { platform.Main(purchaseresult.Function) }
