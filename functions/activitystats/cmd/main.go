// Command activitystats serves only the activitystats function.
package main

import (
	"seckill/functions/activitystats"
	"seckill/functions/platform"
)

func main() { platform.Main(activitystats.Function) }
