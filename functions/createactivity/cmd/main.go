// Command createactivity serves only the createactivity function.
package main

import (
	"seckill/functions/createactivity"
	"seckill/functions/platform"
)

func main() { platform.Main(createactivity.Function) }
