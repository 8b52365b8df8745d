// Command listactivities serves only the listactivities function.
package main

import (
	"seckill/functions/listactivities"
	"seckill/functions/platform"
)

func main() { platform.Main(listactivities.Function) }
