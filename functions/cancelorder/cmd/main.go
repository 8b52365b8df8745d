// Command cancelorder serves only the cancelorder function.
package main

import (
	"seckill/functions/cancelorder"
	"seckill/functions/platform"
)

func main() { platform.Main(cancelorder.Function) }
