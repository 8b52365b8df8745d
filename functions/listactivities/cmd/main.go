// Command listactivities serves only the listactivities function.
package main

import (
	"seckill/functions/listactivities"
	"seckill/functions/server"
)

func main() { server.Main(listactivities.Function) }
