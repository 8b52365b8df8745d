// Command drawentry serves only the drawentry function.
package main

import (
	"seckill/functions/drawentry"
	"seckill/functions/server"
)

func main() { server.Main(drawentry.Function) }
