// Package apidocs is the function that serves the API's documentation: the
// OpenAPI 3 document (openapi.yaml beside this file, embedded in the binary)
// as GET /openapi.json, and the same document as a self-contained web page at
// GET /docs that needs nothing from the network.
package apidocs

import (
	_ "embed"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/platform"
)

//go:embed openapi.yaml
var specYAML []byte

// The served forms are built once, at start-up: the document is part of the
// binary, so a malformed one fails every test rather than a request.
var (
	specJSON = mustJSON(specYAML)
	docsHTML = mustDocsPage(specYAML)
)

// Function serves the API documentation.
var Function = platform.Function{
	Name:    "apidocs",
	Summary: "the API's OpenAPI 3 document and a browsable docs page",
	Routes: []platform.Route{
		{Method: fiber.MethodGet, Path: "/openapi.json", Handler: func(platform.Deps) fiber.Handler { return OpenAPIHandler() }},
		{Method: fiber.MethodGet, Path: "/docs", Handler: func(platform.Deps) fiber.Handler { return DocsHandler() }},
	},
}

// SpecJSON returns the OpenAPI document as JSON, keys in the order of
// openapi.yaml.
func SpecJSON() []byte { return specJSON }

// OpenAPIHandler answers GET /openapi.json.
func OpenAPIHandler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*") // lets other tools on other origins read it
		return c.Send(specJSON)
	}
}

// DocsHandler answers GET /docs with the rendered page. Its content security
// policy forbids loading anything, so it is offline by construction.
func DocsHandler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
		return c.Send(docsHTML)
	}
}

func mustJSON(y []byte) []byte {
	b, err := yamlToJSON(y)
	if err != nil {
		panic(fmt.Sprintf("apidocs: openapi.yaml: %v", err))
	}
	return b
}

func mustDocsPage(y []byte) []byte {
	b, err := renderDocs(y)
	if err != nil {
		panic(fmt.Sprintf("apidocs: openapi.yaml: %v", err))
	}
	return b
}
