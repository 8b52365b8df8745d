// Package updateproduct is the function that changes products.
package updateproduct

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/platform"
	"seckill/redislib"
)

// Function changes products (admin).
var Function = platform.Function{
	Name:    "updateproduct",
	Summary: "change a product's name, description or price (admin)",
	Writes:  true,
	Routes: []platform.Route{{Method: fiber.MethodPatch, Path: "/products/:id", Admin: true,
		Handler: func(d platform.Deps) fiber.Handler { return Handler(d.Store) }}},
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
	return func(c *fiber.Ctx) error {
		id, err := platform.PathID(c, "id")
		if err != nil {
			return err
		}
		var req request
		if err := platform.Decode(c, &req); err != nil {
			return err
		}
		ch, err := validate(req)
		if err != nil {
			return err
		}
		p, err := store.UpdateProduct(c.UserContext(), id, ch)
		if err != nil {
			return err
		}
		return c.JSON(p)
	}
}

func validate(req request) (ch redislib.ProductChanges, err error) {
	if req.Name == nil && req.Description == nil && req.Price == nil {
		return ch, platform.Fail(platform.CodeEmptyUpdate, "give at least one of name, description, price")
	}
	if req.Name != nil {
		name, err := platform.Text(*req.Name, "name", platform.CodeInvalidName, 1, platform.MaxNameLen)
		if err != nil {
			return ch, err
		}
		ch.Name = &name
	}
	if req.Description != nil {
		desc, err := platform.Text(*req.Description, "description", platform.CodeInvalidDesc, 0, platform.MaxDescriptionLen)
		if err != nil {
			return ch, err
		}
		ch.Description = &desc
	}
	if req.Price != nil {
		price, err := platform.Price(*req.Price)
		if err != nil {
			return ch, err
		}
		ch.Price = &price
	}
	return ch, nil
}
