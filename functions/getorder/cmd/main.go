// Command getorder serves only the getorder function.
package main

import (
	"seckill/functions/getorder"
	"seckill/functions/server"
)

func main() { server.Main(getorder.Function) }
