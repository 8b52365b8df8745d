// Command cancelorder serves only the cancelorder function.
package main

import (
	"seckill/functions/cancelorder"
	"seckill/functions/server"
)

func main() { server.Main(cancelorder.Function) }
