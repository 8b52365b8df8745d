// Command createactivity serves only the createactivity function.
package main

import (
	"seckill/functions/createactivity"
	"seckill/functions/server"
)

func main() { server.Main(createactivity.Function) }
