// Command apidocs serves the API documentation.
package main

import (
	"seckill/functions/apidocs"
	"seckill/functions/server"
)

func main() { server.Main(apidocs.Function) }
