// Package createproduct is the function that creates products.
package createproduct

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/platform"
	"seckill/redislib"
)

// Function creates products (admin).
var Function = platform.Function{
	Name:    "createproduct",
	Summary: "create a product (admin)",
	Writes:  true,
	Routes: []platform.Route{{Method: fiber.MethodPost, Path: "/products", Admin: true,
		Handler: func(d platform.Deps) fiber.Handler { return Handler(d.Store) }}},
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
		if err := platform.Decode(c, &req); err != nil {
			return err
		}
		if err := platform.Required(platform.F("name", req.Name), platform.F("price", req.Price)); err != nil {
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

func validate(req request) (in redislib.NewProduct, err error) {
	if in.Name, err = platform.Text(*req.Name, "name", platform.CodeInvalidName, 1, platform.MaxNameLen); err != nil {
		return in, err
	}
	if req.Description != nil {
		if in.Description, err = platform.Text(*req.Description, "description", platform.CodeInvalidDesc, 0, platform.MaxDescriptionLen); err != nil {
			return in, err
		}
	}
	in.Price, err = platform.Price(*req.Price)
	return in, err
}
