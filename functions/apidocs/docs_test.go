package apidocs_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/apidocs"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
)

func docsApp() *fiber.App {
	return server.NewApp(server.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Config: server.TestConfig("t")}, nil, apidocs.Function)
}

// TestDocsPageLoadsTheSpec follows what a browser does with GET /docs: every
// file the page loads is served by the function itself with its content
// type, and the start-up script points Swagger UI at the served document.
func TestDocsPageLoadsTheSpec(t *testing.T) {
	app := docsApp()
	r := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/docs"})
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q: the page could load from elsewhere", csp, want)
		}
	}
	page := string(r.Body)

	// Every resource is local, and served with its type.
	wantType := map[string]string{".js": "text/javascript", ".css": "text/css"}
	loaded := map[string]bool{}
	for _, m := range regexp.MustCompile(`<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		url := m[1]
		if url == "data:," { // the empty favicon, so the browser asks for none
			continue
		}
		if !strings.HasPrefix(url, "/") || strings.HasPrefix(url, "//") {
			t.Errorf("the page loads %q from elsewhere", url)
			continue
		}
		loaded[url] = true
		a := servertest.Do(t, app, servertest.Request{Method: "GET", Path: url})
		ext := url[strings.LastIndexByte(url, '.'):]
		if a.Status != 200 || !strings.HasPrefix(a.Header.Get("Content-Type"), wantType[ext]) || wantType[ext] == "" || len(a.Body) == 0 {
			t.Errorf("GET %s: %d, Content-Type %q, %d bytes", url, a.Status, a.Header.Get("Content-Type"), len(a.Body))
		}
	}
	for _, want := range []string{"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/swagger-initializer.js"} {
		if !loaded[want] {
			t.Errorf("the page does not load %s", want)
		}
	}

	// The start-up script: Swagger UI on the served document, no online validator.
	init := string(servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/docs/swagger-initializer.js"}).Body)
	m := regexp.MustCompile(`\burl:\s*"([^"]+)"`).FindStringSubmatch(init)
	if m == nil || !strings.Contains(init, "SwaggerUIBundle(") {
		t.Fatalf("the start-up script does not start Swagger UI on a document:\n%s", init)
	}
	if !regexp.MustCompile(`validatorUrl:\s*null`).MatchString(init) {
		t.Error("the start-up script leaves Swagger UI's online validator on")
	}
	spec := servertest.Do(t, app, servertest.Request{Method: "GET", Path: m[1]})
	if spec.Status != 200 || !bytes.Equal(spec.Body, apidocs.SpecYAML()) {
		t.Fatalf("GET %s (the document Swagger UI loads): %d, %d bytes; want the OpenAPI document", m[1], spec.Status, len(spec.Body))
	}
}

// TestSwaggerUIFilesAreTheRelease checks the embedded Swagger UI against
// swaggerui/README.md: the version it names is the bundle's, the files are
// the package's (checksums), and they are served whole, gzip-compressed to
// clients that accept it.
func TestSwaggerUIFilesAreTheRelease(t *testing.T) {
	notes, err := os.ReadFile("swaggerui/README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("`swagger-ui-dist` ([0-9]+\\.[0-9]+\\.[0-9]+)").FindSubmatch(notes)
	if m == nil {
		t.Fatal("swaggerui/README.md names no swagger-ui-dist version")
	}
	version := string(m[1])
	app := docsApp()
	for _, name := range []string{"swagger-ui-bundle.js", "swagger-ui.css"} {
		t.Run(name, func(t *testing.T) {
			plain := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/docs/" + name})
			if plain.Status != 200 || plain.Header.Get("Content-Encoding") != "" {
				t.Fatalf("without Accept-Encoding: %d, Content-Encoding %q", plain.Status, plain.Header.Get("Content-Encoding"))
			}
			sum := sha256.Sum256(plain.Body)
			if want := regexp.MustCompile("`" + regexp.QuoteMeta(name) + "` \\| `([0-9a-f]{64})`").FindSubmatch(notes); want == nil || string(want[1]) != hex.EncodeToString(sum[:]) {
				t.Errorf("served %s has sha256 %x; swaggerui/README.md records %q", name, sum, want)
			}
			if br := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/docs/" + name, Header: map[string]string{"Accept-Encoding": "br"}}); br.Header.Get("Content-Encoding") != "" || !bytes.Equal(br.Body, plain.Body) {
				t.Fatalf("to a client that does not accept gzip: Content-Encoding %q, %d bytes", br.Header.Get("Content-Encoding"), len(br.Body))
			}
			gz := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/docs/" + name, Header: map[string]string{"Accept-Encoding": "gzip, deflate, br"}})
			if gz.Status != 200 || gz.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(gz.Header.Get("Vary"), "Accept-Encoding") {
				t.Fatalf("with Accept-Encoding gzip: %d, Content-Encoding %q, Vary %q", gz.Status, gz.Header.Get("Content-Encoding"), gz.Header.Get("Vary"))
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
			if err != nil {
				t.Fatal(err)
			}
			unzipped, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(unzipped, plain.Body) || len(gz.Body) >= len(plain.Body) {
				t.Fatalf("the gzip answer (%d bytes) is not the file (%d bytes) compressed: %v", len(gz.Body), len(plain.Body), err)
			}
		})
	}
	bundle := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/docs/swagger-ui-bundle.js"}).Body
	if !bytes.Contains(bundle, []byte(`PACKAGE_VERSION:"`+version+`"`)) {
		t.Fatalf("the bundle is not swagger-ui %s, the version swaggerui/README.md names", version)
	}
}

// TestErrorCodeTableIsTheCode checks the one table of error codes, in the
// document's description, against the code's (httpapi.Codes): the same
// codes, each under its status.
func TestErrorCodeTableIsTheCode(t *testing.T) {
	doc := mustSpec(t)
	listed := map[string]string{}
	row := regexp.MustCompile("(?m)^\\| ([0-9]{3}) \\| (.*) \\|$")
	code := regexp.MustCompile("`([a-z_]+)`")
	for _, m := range row.FindAllStringSubmatch(doc.Info.Description, -1) {
		// Only the codes themselves: a note in parentheses may quote other names.
		text := regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(m[2], "")
		for _, c := range code.FindAllStringSubmatch(text, -1) {
			if prev, dup := listed[c[1]]; dup {
				t.Errorf("code %s listed under %s and %s", c[1], prev, m[1])
			}
			listed[c[1]] = m[1]
		}
	}
	if len(listed) == 0 {
		t.Fatal("the document's description has no table of error codes")
	}
	var missing []string
	for c, status := range httpapi.Codes() {
		switch got, ok := listed[c]; {
		case !ok:
			missing = append(missing, c)
		case got != strconv.Itoa(status):
			t.Errorf("code %s listed under %s; httpapi.Status gives %d", c, got, status)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("codes missing from the table in openapi.yaml: %v", missing)
	}
	for c := range listed {
		if _, ok := httpapi.Codes()[c]; !ok {
			t.Errorf("the table lists %s, which is no error code", c)
		}
	}
}
