// Command getproduct serves only the getproduct function.
package main

import (
	"seckill/functions/getproduct"
	"seckill/functions/platform"
)

func main() { platform.Main(getproduct.Function) }
