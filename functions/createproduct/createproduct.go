// Package createproduct is the function that creates products.
package createproduct

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function creates products (admin).
var Function = server.Function{
	Name:    "createproduct",
	Summary: "create a product (admin)",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPost, Path: "/products", Admin: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

type request struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Price       *int64  `json:"price"`
}

// Handler answers POST /products with 201 and the new product.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req request
		if err := httpapi.Decode(c, &req); err != nil {
			return err
		}
		if err := httpapi.Required(httpapi.F("name", req.Name), httpapi.F("price", req.Price)); err != nil {
			return err
		}
		in, err := validate(req)
		if err != nil {
			return err
		}
		p, err := store.CreateProduct(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(p)
	}
}

// validate turns a decoded request into a new product and checks it (see
// sale.NewProduct.Validate).
func validate(req request) (sale.NewProduct, error) {
	in := sale.NewProduct{Name: *req.Name, Price: *req.Price}
	if req.Description != nil {
		in.Description = *req.Description
	}
	return in, in.Validate()
}
