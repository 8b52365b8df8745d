package apidocs_test

import (
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"seckill/functions/apidocs"
	"seckill/functions/platform"
	"seckill/functions/platform/platformtest"
)

func TestDocsPageIsSelfContainedAndComplete(t *testing.T) {
	doc := mustSpec(t)
	app := platform.NewApp(platform.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Config: platform.TestConfig("t")}, nil, apidocs.Function)
	r := platformtest.Do(t, app, platformtest.Request{Method: "GET", Path: "/docs"})
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("Content-Security-Policy %q does not forbid loading resources", csp)
	}
	page := string(r.Body)

	// Offline: nothing to fetch. Links go to anchors or to openapi.json.
	if m := regexp.MustCompile(`(?i)<(script|link|img|iframe|object)\b|@import|url\(`).FindString(page); m != "" {
		t.Fatalf("the page loads a resource: %q", m)
	}
	for _, m := range regexp.MustCompile(`(?i)(?:href|src)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "#") && m[1] != "openapi.json" {
			t.Errorf("link to %q leaves the page", m[1])
		}
	}
	// Every anchor linked to exists.
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\bid="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !ids[m[1]] {
			t.Errorf("broken link #%s", m[1])
		}
	}

	// Complete: every operation with each error code it lists, every schema.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			start := strings.Index(page, `id="op-`+op.OperationID+`"`)
			if start < 0 {
				t.Errorf("%s %s: no section", method, path)
				continue
			}
			section := page[start:]
			section = section[:strings.Index(section, "</section>")]
			if !strings.Contains(section, "<code>"+path+"</code>") || !strings.Contains(section, ">"+method+"<") {
				t.Errorf("%s %s: section %s lacks its method and path", method, path, op.OperationID)
			}
			for status, resp := range op.Responses.Map() {
				if !strings.Contains(section, ">"+status+"</td>") {
					t.Errorf("%s %s: status %s not shown", method, path, status)
				}
				for _, code := range errorCodes(resp.Value) {
					if !strings.Contains(section, `<code class="code">`+code+"</code>") {
						t.Errorf("%s %s: error code %s not shown", method, path, code)
					}
				}
			}
		}
	}
	for name := range doc.Components.Schemas {
		if !ids["schema-"+name] {
			t.Errorf("schema %s has no section", name)
		}
	}
}
