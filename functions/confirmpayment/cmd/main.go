// Command confirmpayment serves only the confirmpayment function.
package main

import (
	"seckill/functions/confirmpayment"
	"seckill/functions/server"
)

func main() { server.Main(confirmpayment.Function) }
