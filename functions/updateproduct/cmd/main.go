// Command updateproduct serves only the updateproduct function.
package main

import (
	"seckill/functions/server"
	"seckill/functions/updateproduct"
)

func main() { server.Main(updateproduct.Function) }
