// Command drawresult serves only the drawresult function.
package main

import (
	"seckill/functions/drawresult"
	"seckill/functions/server"
)

func main() { server.Main(drawresult.Function) }
