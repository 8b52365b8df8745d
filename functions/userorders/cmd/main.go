// Command userorders serves only the userorders function.
package main

import (
	"seckill/functions/server"
	"seckill/functions/userorders"
)

func main() { server.Main(userorders.Function) }
