// Command all serves every function on one port, for local development.
package main

import (
	"seckill/functions/all"
	"seckill/functions/server"
)

func main() { server.Main(all.Functions...) }
