// Command queuestatus serves only the queuestatus function.
package main

import (
	"seckill/functions/queuestatus"
	"seckill/functions/server"
)

func main() { server.Main(queuestatus.Function) }
