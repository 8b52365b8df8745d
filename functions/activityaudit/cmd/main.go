// Command activityaudit serves only the activityaudit function.
package main

import (
	"seckill/functions/activityaudit"
	"seckill/functions/server"
)

func main() { server.Main(activityaudit.Function) }
