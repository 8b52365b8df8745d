// Command storefront serves only the storefront function.
package main

import (
	"seckill/functions/platform"
	"seckill/functions/storefront"
)

func main() { platform.Main(storefront.Function) }
