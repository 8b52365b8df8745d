// Command getorder serves only the getorder function.
package main

import (
	"seckill/functions/getorder"
	"seckill/functions/platform"
)

func main() { platform.Main(getorder.Function) }
