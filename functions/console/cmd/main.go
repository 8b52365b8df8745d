// Command console serves only the console function.
package main

import (
	"seckill/functions/console"
	"seckill/functions/server"
)

func main() { server.Main(console.Function) }
