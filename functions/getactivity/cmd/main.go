// Command getactivity serves only the getactivity function.
package main

import (
	"seckill/functions/getactivity"
	"seckill/functions/platform"
)

func main() { platform.Main(getactivity.Function) }
