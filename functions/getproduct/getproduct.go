// Package getproduct is the function that reads one product.
package getproduct

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function reads products.
var Function = server.Function{
	Name:    "getproduct",
	Summary: "read a product",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/products/:id", Public: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers GET /products/:id with the product, deleted ones included.
func Handler(store *redislib.Store) fiber.Handler {
	return httpapi.ByID(store.Product)
}
