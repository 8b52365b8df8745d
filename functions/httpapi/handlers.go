package httpapi

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// ByID returns the handler of a route that acts on the resource its path
// names by :id and answers 200 with the result as JSON. The ID is checked
// first (400 invalid_id); then act runs on the request's context, and its
// error is answered as every error is (see ErrorHandler).
func ByID[T any](act func(ctx context.Context, id string) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := PathID(c, "id")
		if err != nil {
			return err
		}
		v, err := act(c.UserContext(), id)
		if err != nil {
			return err
		}
		return c.JSON(v)
	}
}

// Change returns the handler of a route that changes the resource its path
// names by :id with the request's JSON body, and answers 200 with the
// result as JSON. In order: the ID is checked (400 invalid_id), the body is
// decoded into a B (400, see Decode), check turns it into the change C
// (400 on a broken rule), and apply makes the change on the request's
// context.
func Change[B, C, T any](check func(B) (C, error), apply func(ctx context.Context, id string, ch C) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := PathID(c, "id")
		if err != nil {
			return err
		}
		var body B
		if err := Decode(c, &body); err != nil {
			return err
		}
		ch, err := check(body)
		if err != nil {
			return err
		}
		v, err := apply(c.UserContext(), id, ch)
		if err != nil {
			return err
		}
		return c.JSON(v)
	}
}
