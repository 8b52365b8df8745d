// Command userorders serves only the userorders function.
package main

import (
	"seckill/functions/platform"
	"seckill/functions/userorders"
)

func main() { platform.Main(userorders.Function) }
