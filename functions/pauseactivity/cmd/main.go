// Command pauseactivity serves only the pauseactivity function.
package main

import (
	"seckill/functions/pauseactivity"
	"seckill/functions/server"
)

func main() { server.Main(pauseactivity.Function) }
