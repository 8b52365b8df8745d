// Command getactivity serves only the getactivity function.
package main

import (
	"seckill/functions/getactivity"
	"seckill/functions/server"
)

func main() { server.Main(getactivity.Function) }
