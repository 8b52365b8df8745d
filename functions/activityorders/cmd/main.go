// Command activityorders serves only the activityorders function.
package main

import (
	"seckill/functions/activityorders"
	"seckill/functions/server"
)

func main() { server.Main(activityorders.Function) }
