// Command listproducts serves only the listproducts function.
package main

import (
	"seckill/functions/listproducts"
	"seckill/functions/server"
)

func main() { server.Main(listproducts.Function) }
