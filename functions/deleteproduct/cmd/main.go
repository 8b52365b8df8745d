// Command deleteproduct serves only the deleteproduct function.
package main

import (
	"seckill/functions/deleteproduct"
	"seckill/functions/server"
)

func main() { server.Main(deleteproduct.Function) }
