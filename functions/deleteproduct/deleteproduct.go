// Package deleteproduct is the function that deletes products.
package deleteproduct

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function deletes products (admin).
var Function = server.Function{
	Name:    "deleteproduct",
	Summary: "soft-delete a product that no live activity uses (admin)",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodDelete, Path: "/products/:id", Admin: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers DELETE /products/:id with 200 and the product, now with
// deleted true. The product leaves the listing but stays readable. While an
// activity of the product is neither ended nor cancelled (scheduled, running
// or sold out: a sold-out activity can get units back from cancelled or
// expired orders and sell again) the answer is 409 product_in_use. Deleting
// a deleted product answers 200 again and changes nothing.
func Handler(store *redislib.Store) fiber.Handler {
	return httpapi.ByID(store.DeleteProduct)
}
