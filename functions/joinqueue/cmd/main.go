// Command joinqueue serves only the joinqueue function.
package main

import (
	"seckill/functions/joinqueue"
	"seckill/functions/server"
)

func main() { server.Main(joinqueue.Function) }
