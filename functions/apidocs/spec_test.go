package apidocs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"seckill/functions/all"
	"seckill/functions/apidocs"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
)

// mustSpec loads the document as served at GET /openapi.json and validates
// it with kin-openapi.
func mustSpec(t *testing.T) *openapi3.T {
	t.Helper()
	app := server.NewApp(server.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Config: server.TestConfig("t")}, nil, apidocs.Function)
	r := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/openapi.json"})
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.Body)
	if err != nil {
		t.Fatalf("load the served document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return doc
}

func TestSpecIsValidOpenAPI3(t *testing.T) {
	doc := mustSpec(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	// Every operation has a unique operationId (the docs page anchors on it).
	seen := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			} else if other, dup := seen[op.OperationID]; dup {
				t.Errorf("operationId %s used by %s and %s %s", op.OperationID, other, method, path)
			}
			seen[op.OperationID] = method + " " + path
		}
	}
}

// TestServedDocumentsAreTheFile checks both forms of the document: the
// YAML as openapi.yaml holds it, and JSON holding the same document.
func TestServedDocumentsAreTheFile(t *testing.T) {
	raw, err := apidocsYAML()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(apidocs.SpecYAML(), raw) {
		t.Fatal("the served YAML is not openapi.yaml")
	}
	var fromYAML any
	if err := yaml.Unmarshal(raw, &fromYAML); err != nil {
		t.Fatal(err)
	}
	viaStd, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatalf("openapi.yaml has a key JSON cannot hold: %v", err)
	}
	var want, got any
	_ = json.Unmarshal(viaStd, &want)
	if err := json.Unmarshal(apidocs.SpecJSON(), &got); err != nil {
		t.Fatalf("served JSON: %v", err)
	}
	wantJSON, _ := json.Marshal(want)
	gotJSON, _ := json.Marshal(got)
	if string(wantJSON) != string(gotJSON) {
		t.Fatal("the served JSON does not hold the same document as openapi.yaml")
	}
}

func apidocsYAML() ([]byte, error) {
	f, err := http.Dir(".").Open("openapi.yaml")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// fiberParam turns Fiber's :param segments into OpenAPI's {param}.
var fiberParam = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)

func specPath(fiberPath string) string { return fiberParam.ReplaceAllString(fiberPath, "{$1}") }

// servedRoutes returns "METHOD /path/{param}" of every route an app serving
// the whole registry answers (the server's own routes included), and the registry's
// function of each.
func servedRoutes(t *testing.T) (routes map[string]bool, function map[string]string) {
	t.Helper()
	app := server.NewApp(server.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Config: server.TestConfig("t")}, nil, all.Functions...)
	routes = map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if r.Method == http.MethodHead { // Fiber adds HEAD to every GET
			continue
		}
		routes[r.Method+" "+specPath(r.Path)] = true
	}
	function = map[string]string{}
	for _, fn := range all.Functions {
		for _, r := range fn.Routes {
			function[r.Method+" "+specPath(r.Path)] = fn.Name
		}
	}
	return routes, function
}

func specRoutes(doc *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}
	return ops
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// The spec and the registry name the same routes: every route served is
// documented, and every documented route is served.
func TestSpecCoversExactlyTheServedRoutes(t *testing.T) {
	doc := mustSpec(t)
	served, function := servedRoutes(t)
	documented := specRoutes(doc)

	t.Run("every served route is documented", func(t *testing.T) {
		var missing []string
		for _, r := range sortedKeys(served) {
			if documented[r] == nil {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			t.Errorf("served but missing from openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
		}
	})
	t.Run("every documented route is served", func(t *testing.T) {
		var extra []string
		for _, r := range sortedKeys(documented) {
			if !served[r] {
				extra = append(extra, r)
			}
		}
		if len(extra) > 0 {
			t.Errorf("in openapi.yaml but served by no function in the registry (functions/all):\n  %s", strings.Join(extra, "\n  "))
		}
	})
	t.Run("x-function names the function that serves it", func(t *testing.T) {
		for _, r := range sortedKeys(documented) {
			if !served[r] {
				continue
			}
			got, _ := documented[r].Extensions["x-function"].(string)
			if got != function[r] {
				t.Errorf("%s: x-function %q, but the registry serves it from %q (empty: every function serves it)", r, got, function[r])
			}
		}
	})
}

// Each error code is listed under the HTTP status the one status table
// (httpapi.Status) gives it, and the responses every operation of a kind
// can give are listed.
func TestSpecErrorCodesAndStatuses(t *testing.T) {
	doc := mustSpec(t)
	for _, r := range sortedKeys(specRoutes(doc)) {
		op := specRoutes(doc)[r]
		codes := map[string]bool{}
		for status, ref := range op.Responses.Map() {
			want, err := strconv.Atoi(status)
			if err != nil {
				t.Errorf("%s: response %q is not a status code", r, status)
				continue
			}
			for _, code := range errorCodes(ref.Value) {
				codes[code] = true
				if got := httpapi.Status(code); got != want {
					t.Errorf("%s: code %s is listed under %d but httpapi.Status gives %d", r, code, want, got)
				}
			}
			if want >= 400 && len(errorCodes(ref.Value)) == 0 {
				t.Errorf("%s: error response %d lists no error code", r, want)
			}
		}
		admin := false
		if op.Security != nil {
			for _, req := range *op.Security {
				if _, ok := req["adminToken"]; ok {
					admin = true
				}
			}
		}
		if admin && !codes["unauthorized"] {
			t.Errorf("%s: an admin route must list 401 unauthorized", r)
		}
		if op.RequestBody != nil && !codes["body_too_large"] {
			t.Errorf("%s: a route with a body must list 413 body_too_large", r)
		}
		if op.RequestBody != nil && op.RequestBody.Value.Required && !(codes["empty_body"] && codes["malformed_json"] && codes["unknown_field"] && codes["invalid_field_type"]) {
			t.Errorf("%s: a route with a required JSON body must list the decoding codes", r)
		}
		if strings.Contains(r, "{id}") && !codes["invalid_id"] {
			t.Errorf("%s: a route with an {id} must list 400 invalid_id", r)
		}
		if op.Extensions["x-function"] != nil && !servesFile(op) && !(codes["store_unavailable"] && codes["internal"]) {
			t.Errorf("%s: a route that reads Redis must list 503 store_unavailable and 500 internal", r)
		}
	}
}

// servesFile reports whether an operation answers a document built into the
// binary (the API docs, the storefront's page and assets), which reads no
// Redis: the API docs, or a 200 that is not JSON.
func servesFile(op *openapi3.Operation) bool {
	if op.Extensions["x-function"] == "apidocs" {
		return true
	}
	ok := op.Responses.Status(200)
	if ok == nil || ok.Value == nil {
		return false
	}
	for mediaType := range ok.Value.Content {
		if mediaType == "application/json" {
			return false
		}
	}
	return len(ok.Value.Content) > 0
}

// errorCodes returns the codes of an error response: the enum of error.code
// in its schema, whether the schema narrows Error with allOf or not.
func errorCodes(resp *openapi3.Response) []string {
	var codes []string
	for _, mt := range resp.Content {
		if mt.Schema == nil {
			continue
		}
		var walk func(s *openapi3.Schema)
		walk = func(s *openapi3.Schema) {
			for _, part := range s.AllOf {
				walk(part.Value)
			}
			if e := s.Properties["error"]; e != nil {
				if c := e.Value.Properties["code"]; c != nil {
					for _, v := range c.Value.Enum {
						codes = append(codes, v.(string))
					}
				}
			}
		}
		walk(mt.Schema.Value)
	}
	return codes
}
