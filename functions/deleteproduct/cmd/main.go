// Command deleteproduct serves only the deleteproduct function.
package main

import (
	"seckill/functions/deleteproduct"
	"seckill/functions/platform"
)

func main() { platform.Main(deleteproduct.Function) }
