// Command payorder serves only the payorder function.
package main

import (
	"seckill/functions/payorder"
	"seckill/functions/server"
)

func main() { server.Main(payorder.Function) }
