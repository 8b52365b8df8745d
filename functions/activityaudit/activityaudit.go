// Package activityaudit is the function that reads audit trails: who changed
// what in an activity or a product, and when.
package activityaudit

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib/sale"
)

// Function reads the audit trails of activities and products (admin).
var Function = server.Function{
	Name:    "activityaudit",
	Summary: "read the audit trail of an activity or a product: every admin action, newest first (admin)",
	Routes: []server.Route{
		{Method: fiber.MethodGet, Path: "/activities/:id/audit", Admin: true,
			Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store.ActivityAudit) }},
		{Method: fiber.MethodGet, Path: "/products/:id/audit", Admin: true,
			Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store.ProductAudit) }},
	},
}

// Trail reads one page of the audit trail of the activity or product id.
type Trail func(ctx context.Context, id string, q sale.PageQuery) (sale.Page[sale.AuditEntry], error)

// Handler answers GET /activities/:id/audit or /products/:id/audit
// ?limit=&cursor= with {"items": [entries], "next_cursor": str|null}, newest
// first. Each entry says who acted (actor), when (at, Redis time), what
// (action) and the changed fields' values before and after. An unknown ID is
// 404.
func Handler(read Trail) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		q, err := httpapi.PageQuery(c)
		if err != nil {
			return err
		}
		page, err := read(c.UserContext(), id, q)
		if err != nil {
			return err
		}
		return c.JSON(page)
	}
}
