// Command updateactivity serves only the updateactivity function.
package main

import (
	"seckill/functions/server"
	"seckill/functions/updateactivity"
)

func main() { server.Main(updateactivity.Function) }
