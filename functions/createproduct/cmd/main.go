// Command createproduct serves only the createproduct function.
package main

import (
	"seckill/functions/createproduct"
	"seckill/functions/platform"
)

func main() { platform.Main(createproduct.Function) }
