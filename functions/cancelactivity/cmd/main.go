// Command cancelactivity serves only the cancelactivity function.
package main

import (
	"seckill/functions/cancelactivity"
	"seckill/functions/server"
)

func main() { server.Main(cancelactivity.Function) }
