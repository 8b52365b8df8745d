// Command activityorders serves only the activityorders function.
package main

import (
	"seckill/functions/activityorders"
	"seckill/functions/platform"
)

func main() { platform.Main(activityorders.Function) }
