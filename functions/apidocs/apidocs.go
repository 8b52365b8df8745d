// Package apidocs is the function that serves the API's documentation: the
// OpenAPI 3 document (openapi.yaml beside this file, embedded in the binary)
// as written at GET /openapi.yaml and converted at GET /openapi.json, and
// Swagger UI on it at GET /docs, its files embedded too (swaggerui/), so the
// page needs nothing from the network.
package apidocs

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io"

	"github.com/gofiber/fiber/v2"
	"sigs.k8s.io/yaml"

	"seckill/functions/server"
)

//go:embed openapi.yaml
var specYAML []byte

// specJSON is built once, at start-up: the document is part of the binary,
// so a malformed one fails every test rather than a request. JSON has no
// key order; sigs.k8s.io/yaml writes the keys sorted.
var specJSON = mustJSON(specYAML)

// swaggerUI holds Swagger UI (swaggerui/README.md says which release) and
// the page that starts it on /openapi.yaml, whose order (tags, paths) is
// the one it shows.
//
//go:embed swaggerui/index.html swaggerui/swagger-initializer.js swaggerui/swagger-ui-bundle.js.gz swaggerui/swagger-ui.css.gz
var swaggerUI embed.FS

// Content types of the files served.
const (
	mimeJS  = "text/javascript; charset=utf-8"
	mimeCSS = "text/css; charset=utf-8"
	// mimeYAML is application/yaml (RFC 9512).
	mimeYAML = "application/yaml; charset=utf-8"
)

// Function serves the API documentation.
var Function = server.Function{
	Name:    "apidocs",
	Summary: "the API's OpenAPI 3 document and Swagger UI on it",
	Routes: []server.Route{
		{Method: fiber.MethodGet, Path: "/openapi.yaml", Public: true, Handler: func(server.Deps) fiber.Handler { return specHandler(specYAML, mimeYAML) }},
		{Method: fiber.MethodGet, Path: "/openapi.json", Public: true, Handler: func(server.Deps) fiber.Handler {
			return specHandler(specJSON, fiber.MIMEApplicationJSONCharsetUTF8)
		}},
		{Method: fiber.MethodGet, Path: "/docs", Public: true, Handler: func(server.Deps) fiber.Handler { return DocsHandler() }},
		asset("swagger-ui-bundle.js", mimeJS),
		asset("swagger-ui.css", mimeCSS),
		asset("swagger-initializer.js", mimeJS),
	},
}

// SpecYAML returns the OpenAPI document as written.
func SpecYAML() []byte { return specYAML }

// SpecJSON returns the OpenAPI document as JSON.
func SpecJSON() []byte { return specJSON }

// specHandler answers with the document in one of its two forms.
func specHandler(doc []byte, contentType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, contentType)
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*") // lets other tools on other origins read it
		return c.Send(doc)
	}
}

// docsPolicy lets the page load its own scripts, styles and the document
// and nothing from elsewhere. Swagger UI sets inline styles and draws its
// icons from data: URLs; "Try it out" calls the API on the same origin.
const docsPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// DocsHandler answers GET /docs with the Swagger UI page.
func DocsHandler() fiber.Handler {
	page := mustRead("index.html")
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Set(fiber.HeaderContentSecurityPolicy, docsPolicy)
		return c.Send(page)
	}
}

// asset is the route of one of Swagger UI's files, GET /docs/<name>. A file
// stored gzip-compressed (<name>.gz) goes as it is to a client that accepts
// gzip (every browser), and decompressed, once, to any other.
func asset(name, contentType string) server.Route {
	var body, gz []byte
	if b, err := swaggerUI.ReadFile("swaggerui/" + name + ".gz"); err == nil {
		gz, body = b, mustGunzip(name, b)
	} else {
		body = mustRead(name)
	}
	return server.Route{Method: fiber.MethodGet, Path: "/docs/" + name, Public: true, Handler: func(server.Deps) fiber.Handler {
		return func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, contentType)
			c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
			c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
			if gz == nil {
				return c.Send(body)
			}
			c.Vary(fiber.HeaderAcceptEncoding)
			// Without Accept-Encoding Fiber would accept anything; only send
			// gzip to a client that names it.
			if c.Get(fiber.HeaderAcceptEncoding) != "" && c.AcceptsEncodings("gzip") == "gzip" {
				c.Set(fiber.HeaderContentEncoding, "gzip")
				return c.Send(gz)
			}
			return c.Send(body)
		}
	}}
}

func mustGunzip(name string, gz []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err == nil {
		var b []byte
		if b, err = io.ReadAll(zr); err == nil {
			return b
		}
	}
	panic(fmt.Sprintf("apidocs: %s.gz: %v", name, err))
}

func mustRead(name string) []byte {
	b, err := swaggerUI.ReadFile("swaggerui/" + name)
	if err != nil {
		panic(fmt.Sprintf("apidocs: %v", err))
	}
	return b
}

func mustJSON(y []byte) []byte {
	b, err := yaml.YAMLToJSON(y)
	if err != nil {
		panic(fmt.Sprintf("apidocs: openapi.yaml: %v", err))
	}
	return b
}
