// Command createproduct serves only the createproduct function.
package main

import (
	"seckill/functions/createproduct"
	"seckill/functions/server"
)

func main() { server.Main(createproduct.Function) }
