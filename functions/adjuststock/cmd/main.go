// Command adjuststock serves only the adjuststock function.
package main

import (
	"seckill/functions/adjuststock"
	"seckill/functions/server"
)

func main() { server.Main(adjuststock.Function) }
