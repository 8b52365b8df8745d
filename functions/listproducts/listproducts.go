// Package listproducts is the function that lists the catalog's products.
package listproducts

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function lists products.
var Function = server.Function{
	Name:    "listproducts",
	Summary: "list products, newest first, with cursor pagination",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/products", Public: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers GET /products?limit=&cursor= with {"items", "next_cursor"}:
// live products, newest first. Deleted products are not listed.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, err := httpapi.PageQuery(c)
		if err != nil {
			return err
		}
		page, err := store.ListProducts(c.UserContext(), q)
		if err != nil {
			return err
		}
		return c.JSON(page)
	}
}
