// Command activitystats serves only the activitystats function.
package main

import (
	"seckill/functions/activitystats"
	"seckill/functions/server"
)

func main() { server.Main(activitystats.Function) }
