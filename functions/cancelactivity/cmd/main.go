// Command cancelactivity serves only the cancelactivity function.
package main

import (
	"seckill/functions/cancelactivity"
	"seckill/functions/platform"
)

func main() { platform.Main(cancelactivity.Function) }
