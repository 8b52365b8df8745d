package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"

	"github.com/gofiber/fiber/v2"
)

// ceilingMain serves the physical limit of a purchase answer on this machine:
// a Fiber handler for POST /activities/:id/purchase that decodes the same
// body, looks the user up in a Go map and writes the same JSON, with no
// middleware, no Redis and no logging. Driving it with the same load as the
// real server measures the most any purchase handler can answer here.
func ceilingMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest ceiling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", 8090, "port of 127.0.0.1 to serve on")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var mu sync.RWMutex
	winners := map[string]string{}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/activities/:id/purchase", func(c *fiber.Ctx) error {
		var req struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(c.Body(), &req); err != nil || req.UserID == "" {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"code": "malformed_json"})
		}
		mu.RLock()
		order, ok := winners[req.UserID]
		mu.RUnlock()
		if ok {
			return c.JSON(fiber.Map{"outcome": "already_won", "order_id": order})
		}
		return c.JSON(fiber.Map{"outcome": "sold_out"})
	})
	// A thousand winners, as in a sold-out sale of the original scenario.
	for i := range 1000 {
		winners["wrk-"+strconv.Itoa(i+1)] = "ceiling-" + strconv.Itoa(i)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-stop; _ = app.Shutdown() }()
	fmt.Fprintf(stdout, "ceiling handler on 127.0.0.1:%d\n", *port)
	if err := app.Listen("127.0.0.1:" + strconv.Itoa(*port)); err != nil {
		fmt.Fprintln(stderr, "loadtest ceiling:", err)
		return 1
	}
	return 0
}
