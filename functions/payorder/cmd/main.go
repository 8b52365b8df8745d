// Command payorder serves only the payorder function.
package main

import (
	"seckill/functions/payorder"
	"seckill/functions/platform"
)

func main() { platform.Main(payorder.Function) }
