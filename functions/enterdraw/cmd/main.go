// Command enterdraw serves only the enterdraw function (and runs the draw job).
package main

import (
	"seckill/functions/enterdraw"
	"seckill/functions/server"
)

func main() { server.Main(enterdraw.Function) }
