// Command updateactivity serves only the updateactivity function.
package main

import (
	"seckill/functions/platform"
	"seckill/functions/updateactivity"
)

func main() { platform.Main(updateactivity.Function) }
