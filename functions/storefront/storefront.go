// Package storefront is the function that serves the shop's web page: GET /
// with its script and style sheet, and GET /time, the server's clock that the
// page counts down by. The page is a plain client of the public API (it lists
// and reads activities and products, buys, reads, pays with the demo payment and cancels orders
// through their own routes); this function adds no other route.
//
// The page, its script and its style are files in web/, embedded in the
// binary: no build step, nothing fetched from another origin, so it works
// offline and its content security policy allows only this origin.
package storefront

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/server"
	"seckill/redislib"
)

//go:embed web
var web embed.FS

// Function serves the storefront page and the server's clock.
var Function = server.Function{
	Name:    "storefront",
	Summary: "the shop's web page (GET /, its script and style sheet) and the server's clock (GET /time)",
	Routes: []server.Route{
		{Method: fiber.MethodGet, Path: "/", Public: true, Handler: func(d server.Deps) fiber.Handler { return PageHandler(UserAuthOn(d.Config)) }},
		{Method: fiber.MethodGet, Path: "/storefront.js", Public: true, Handler: func(server.Deps) fiber.Handler { return assetHandler(script) }},
		{Method: fiber.MethodGet, Path: "/storefront.css", Public: true, Handler: func(server.Deps) fiber.Handler { return assetHandler(style) }},
		{Method: fiber.MethodGet, Path: "/time", Public: true, Handler: func(d server.Deps) fiber.Handler { return TimeHandler(d.Store) }},
	},
}

// contentSecurityPolicy lets the page load its script, style and data from
// its own origin only: nothing inline, nothing from elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// authPlaceholder in index.html is replaced by how the page identifies the
// user: "user-id" (the user types an ID) or "jwt" (the user gives a token).
const authPlaceholder = "{{USER_AUTH}}"

// The served files are read and compressed once, at start-up: they are part
// of the binary, so a missing one fails every test rather than a request.
var (
	script    = mustAsset("web/storefront.js", "text/javascript; charset=utf-8")
	style     = mustAsset("web/storefront.css", "text/css; charset=utf-8")
	pageTmpl  = mustRead("web/index.html")
	pageUser  = newAsset(bytes.Replace(pageTmpl, []byte(authPlaceholder), []byte("user-id"), 1), fiber.MIMETextHTMLCharsetUTF8)
	pageToken = newAsset(bytes.Replace(pageTmpl, []byte(authPlaceholder), []byte("jwt"), 1), fiber.MIMETextHTMLCharsetUTF8)
)

// UserAuthOn reports whether user routes need a user JWT (USER_AUTH is not
// off): the page then asks for a token, not a user ID.
func UserAuthOn(cfg server.Config) bool {
	return !cfg.TokenConfig.Off()
}

// PageHandler answers GET / with the page, made for the configured way of
// identifying users. The page shows the home view or, with ?activity=<id>, one
// activity; both are the same document.
func PageHandler(userAuth bool) fiber.Handler {
	page := pageUser
	if userAuth {
		page = pageToken
	}
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
		c.Set(fiber.HeaderXFrameOptions, "DENY")
		c.Set("Referrer-Policy", "no-referrer")
		return page.serve(c)
	}
}

// assetHandler answers the GET of the script or the style sheet.
func assetHandler(a *asset) fiber.Handler { return a.serve }

// Clock is the answer of GET /time.
type Clock struct {
	// Now is Redis's clock, which decides when sales start and end and when
	// payment deadlines pass.
	Now time.Time `json:"now"`
}

// TimeHandler answers GET /time with Redis's clock. The page sets its
// countdowns by it, so a wrong clock on the shopper's device changes nothing.
func TimeHandler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		now, err := store.Now(c.UserContext())
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(Clock{Now: now})
	}
}

// asset is one served file, as it is and gzipped, with an ETag for each.
type asset struct {
	contentType       string
	plain, gzipped    []byte
	etagPlain, etagGz string
}

func mustRead(name string) []byte {
	b, err := web.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("storefront: %v", err))
	}
	return b
}

func mustAsset(name, contentType string) *asset { return newAsset(mustRead(name), contentType) }

func newAsset(body []byte, contentType string) *asset {
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = w.Write(body)
	_ = w.Close()
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:8])
	return &asset{contentType: contentType, plain: body, gzipped: gz.Bytes(),
		etagPlain: `"` + tag + `"`, etagGz: `"` + tag + `-gz"`}
}

// serve sends the file, gzipped when the client accepts it (most browsers
// do: the page then costs about a third of its size). Clients revalidate on
// every load (no-cache) and get 304 while the ETag matches, so a new version
// is seen at once and an unchanged one costs a few header bytes.
func (a *asset) serve(c *fiber.Ctx) error {
	body, tag := a.plain, a.etagPlain
	// Without Accept-Encoding Fiber's negotiation would pick the first offer;
	// such a client (curl, for one) gets the file as it is.
	if c.Get(fiber.HeaderAcceptEncoding) != "" && c.AcceptsEncodings("gzip") == "gzip" {
		body, tag = a.gzipped, a.etagGz
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderETag, tag)
	if c.Fresh() {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	return c.Send(body)
}
