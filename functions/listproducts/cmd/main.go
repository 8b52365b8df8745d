// Command listproducts serves only the listproducts function.
package main

import (
	"seckill/functions/listproducts"
	"seckill/functions/platform"
)

func main() { platform.Main(listproducts.Function) }
