// Command apidocs serves the API documentation.
package main

import (
	"seckill/functions/apidocs"
	"seckill/functions/platform"
)

func main() { platform.Main(apidocs.Function) }
