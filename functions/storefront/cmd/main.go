// Command storefront serves only the storefront function.
package main

import (
	"seckill/functions/server"
	"seckill/functions/storefront"
)

func main() { server.Main(storefront.Function) }
