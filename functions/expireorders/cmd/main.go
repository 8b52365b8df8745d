// Command expireorders serves only the expireorders function.
package main

import (
	"seckill/functions/expireorders"
	"seckill/functions/platform"
)

func main() { platform.Main(expireorders.Function) }
