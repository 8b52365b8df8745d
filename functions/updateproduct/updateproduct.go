// Package updateproduct is the function that changes products.
package updateproduct

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function changes products (admin).
var Function = server.Function{
	Name:    "updateproduct",
	Summary: "change a product's name, description or price (admin)",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPatch, Path: "/products/:id", Admin: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

type request struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Price       *int64  `json:"price"`
}

// Handler answers PATCH /products/:id with 200 and the changed product. The
// fields given (at least one) are validated as on creation; a deleted
// product is read-only (409 product_is_deleted).
func Handler(store *redislib.Store) fiber.Handler {
	return httpapi.Change(validate, store.UpdateProduct)
}

// validate turns a decoded request into product changes and checks them
// (see sale.ProductChanges.Validate).
func validate(req request) (sale.ProductChanges, error) {
	ch := sale.ProductChanges{Name: req.Name, Description: req.Description, Price: req.Price}
	return ch, ch.Validate()
}
