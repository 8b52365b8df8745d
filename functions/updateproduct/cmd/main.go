// Command updateproduct serves only the updateproduct function.
package main

import (
	"seckill/functions/platform"
	"seckill/functions/updateproduct"
)

func main() { platform.Main(updateproduct.Function) }
