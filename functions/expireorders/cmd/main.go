// Command expireorders serves only the expireorders function.
package main

import (
	"seckill/functions/expireorders"
	"seckill/functions/server"
)

func main() { server.Main(expireorders.Function) }
