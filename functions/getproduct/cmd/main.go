// Command getproduct serves only the getproduct function.
package main

import (
	"seckill/functions/getproduct"
	"seckill/functions/server"
)

func main() { server.Main(getproduct.Function) }
