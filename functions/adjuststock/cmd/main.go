// Command adjuststock serves only the adjuststock function.
package main

import (
	"seckill/functions/adjuststock"
	"seckill/functions/platform"
)

func main() { platform.Main(adjuststock.Function) }
