package apidocs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The part of OpenAPI 3.0 the page renders. The page is written with
// strings and html.EscapeString rather than html/template: a binary that can
// execute a template keeps every exported method of every linked type.

type document struct {
	Info struct {
		Title       string
		Version     string
		Description string
	}
	Tags       []struct{ Name, Description string }
	Paths      ordered[*pathItem]
	Components struct {
		SecuritySchemes ordered[*securityScheme] `yaml:"securitySchemes"`
		Parameters      map[string]*parameter
		Responses       map[string]*response
		Schemas         ordered[*schema]
	}
}

type pathItem struct {
	Parameters []*parameter
	Operations ordered[*operation] // by method, lower case
}

func (p *pathItem) UnmarshalYAML(n *yaml.Node) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i].Value, n.Content[i+1]
		if key == "parameters" {
			if err := val.Decode(&p.Parameters); err != nil {
				return err
			}
			continue
		}
		op := &operation{}
		if err := val.Decode(op); err != nil {
			return err
		}
		p.Operations = append(p.Operations, entry[*operation]{key, op})
	}
	return nil
}

type operation struct {
	Function    string `yaml:"x-function"`
	OperationID string `yaml:"operationId"`
	Tags        []string
	Summary     string
	Description string
	Security    []map[string][]string
	Parameters  []*parameter
	RequestBody *struct {
		Required bool
		Content  ordered[*mediaType]
	} `yaml:"requestBody"`
	Responses ordered[*response]
}

type securityScheme struct {
	Scheme       string
	BearerFormat string `yaml:"bearerFormat"`
	Description  string
}

type parameter struct {
	Ref         string `yaml:"$ref"`
	Name        string
	In          string
	Required    bool
	Description string
	Schema      *schema
}

type response struct {
	Ref         string `yaml:"$ref"`
	Description string
	Headers     ordered[*struct {
		Description string
		Schema      *schema
	}]
	Content ordered[*mediaType]
}

type mediaType struct {
	Schema   *schema
	Example  any
	Examples ordered[*struct{ Value any }]
}

type schema struct {
	Ref         string `yaml:"$ref"`
	Type        string
	Format      string
	Description string
	Enum        []any
	Pattern     string
	Minimum     *float64
	Maximum     *float64
	MinLength   *int `yaml:"minLength"`
	MaxLength   *int `yaml:"maxLength"`
	Nullable    bool
	Default     any
	Required    []string
	Properties  ordered[*schema]
	Items       *schema
	AllOf       []*schema `yaml:"allOf"`
}

// ordered is a YAML mapping that keeps its keys in document order.
type ordered[T any] []entry[T]

type entry[T any] struct {
	Key   string
	Value T
}

func (o *ordered[T]) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		var v T
		if err := n.Content[i+1].Decode(&v); err != nil {
			return err
		}
		*o = append(*o, entry[T]{n.Content[i].Value, v})
	}
	return nil
}

func (o ordered[T]) get(key string) (T, bool) {
	for _, e := range o {
		if e.Key == key {
			return e.Value, true
		}
	}
	var zero T
	return zero, false
}

// refName returns the last element of a local $ref.
func refName(ref string) string { return ref[strings.LastIndexByte(ref, '/')+1:] }

func (d *document) param(p *parameter) *parameter {
	if p.Ref != "" {
		if r := d.Components.Parameters[refName(p.Ref)]; r != nil {
			return r
		}
	}
	return p
}

func (d *document) response(r *response) *response {
	if r.Ref != "" {
		if c := d.Components.Responses[refName(r.Ref)]; c != nil {
			return c
		}
	}
	return r
}

// errorCodes returns the codes an error response lists: the enum of
// error.code in the allOf that narrows the Error schema.
func errorCodes(s *schema) []string {
	if s == nil {
		return nil
	}
	var codes []string
	for _, part := range s.AllOf {
		e, _ := part.Properties.get("error")
		if e == nil {
			continue
		}
		if c, _ := e.Properties.get("code"); c != nil {
			for _, v := range c.Enum {
				codes = append(codes, fmt.Sprint(v))
			}
		}
	}
	return codes
}

func renderDocs(y []byte) ([]byte, error) {
	var d document
	if err := yaml.Unmarshal(y, &d); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	e := html.EscapeString
	w("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
	w("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>%s</title>\n<style>%s</style></head><body>\n", e(d.Info.Title), css)
	w("<nav><h2>%s</h2><p><a href=\"openapi.json\">openapi.json</a></p>\n", e(d.Info.Title))

	// Operations grouped by their first tag, tags in document order.
	type op struct {
		method, path string
		item         *pathItem
		op           *operation
	}
	byTag := map[string][]op{}
	for _, p := range d.Paths {
		for _, o := range p.Value.Operations {
			tag := "other"
			if len(o.Value.Tags) > 0 {
				tag = o.Value.Tags[0]
			}
			byTag[tag] = append(byTag[tag], op{strings.ToUpper(o.Key), p.Key, p.Value, o.Value})
		}
	}
	tagOrder := make([]string, 0, len(d.Tags))
	tagDesc := map[string]string{}
	for _, t := range d.Tags {
		tagOrder = append(tagOrder, t.Name)
		tagDesc[t.Name] = t.Description
	}
	for t := range byTag {
		if _, ok := tagDesc[t]; !ok {
			tagOrder = append(tagOrder, t)
		}
	}
	for _, t := range tagOrder {
		if len(byTag[t]) == 0 {
			continue
		}
		w("<h3>%s</h3><ul>", e(t))
		for _, o := range byTag[t] {
			w("<li><a href=\"#op-%s\"><span class=\"m %s\">%s</span> %s</a></li>", e(o.op.OperationID), strings.ToLower(o.method), o.method, e(o.path))
		}
		w("</ul>\n")
	}
	w("<h3>schemas</h3><ul>")
	for _, s := range d.Components.Schemas {
		w("<li><a href=\"#schema-%s\">%s</a></li>", e(s.Key), e(s.Key))
	}
	w("</ul></nav>\n<main>\n<h1>%s <small>%s</small></h1>\n%s\n", e(d.Info.Title), e(d.Info.Version), markdown(d.Info.Description))

	for _, t := range tagOrder {
		if len(byTag[t]) == 0 {
			continue
		}
		w("<h2 class=\"tag\">%s</h2>\n", e(t))
		if tagDesc[t] != "" {
			w("<p>%s</p>\n", inline(tagDesc[t]))
		}
		for _, o := range byTag[t] {
			d.renderOperation(&b, o.method, o.path, o.item, o.op)
		}
	}

	w("<h2 class=\"tag\">schemas</h2>\n")
	for _, s := range d.Components.Schemas {
		w("<section class=\"schema\" id=\"schema-%s\"><h3>%s</h3>\n", e(s.Key), e(s.Key))
		d.renderSchemaBody(&b, s.Value)
		w("</section>\n")
	}
	w("</main></body></html>\n")
	return b.Bytes(), nil
}

func (d *document) renderOperation(b *bytes.Buffer, method, path string, item *pathItem, o *operation) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	e := html.EscapeString
	w("<section class=\"op\" id=\"op-%s\"><h3><span class=\"m %s\">%s</span> <code>%s</code></h3>\n", e(o.OperationID), strings.ToLower(method), method, e(path))
	w("<p class=\"summary\">%s</p>\n<p class=\"meta\">", inline(o.Summary))
	if o.Function != "" {
		w("function <code>%s</code> · ", e(o.Function))
	} else {
		w("served by every function · ")
	}
	w("auth: %s</p>\n", d.auth(o.Security))
	if o.Description != "" {
		w("%s\n", markdown(o.Description))
	}

	params := append(append([]*parameter{}, item.Parameters...), o.Parameters...)
	if len(params) > 0 {
		w("<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>\n")
		for _, p := range params {
			p = d.param(p)
			req := ""
			if p.Required {
				req = " <span class=\"req\">required</span>"
			}
			w("<tr><td><code>%s</code>%s</td><td>%s</td><td>%s</td><td>%s%s</td></tr>\n",
				e(p.Name), req, e(p.In), d.typeHTML(p.Schema), inline(p.Description), d.constraints(p.Schema))
		}
		w("</table>\n")
	}

	if rb := o.RequestBody; rb != nil {
		opt := "optional"
		if rb.Required {
			opt = "required"
		}
		for _, c := range rb.Content {
			w("<h4>Request body <small>%s, %s</small></h4><p>%s</p>\n", e(c.Key), opt, d.typeHTML(c.Value.Schema))
			if c.Value.Example != nil {
				w("<pre>%s</pre>\n", e(jsonText(c.Value.Example)))
			}
		}
	}

	w("<h4>Responses</h4><table><tr><th>status</th><th>description</th><th>body</th></tr>\n")
	for _, r := range o.Responses {
		resp := d.response(r.Value)
		cls := "ok"
		if s, _ := strconv.Atoi(r.Key); s >= 400 {
			cls = "err"
		}
		w("<tr><td class=\"%s\">%s</td><td>%s", cls, e(r.Key), inline(resp.Description))
		for _, h := range resp.Headers {
			w("<br>header <code>%s</code>: %s", e(h.Key), inline(h.Value.Description))
		}
		w("</td><td>")
		for _, c := range resp.Content {
			if codes := errorCodes(c.Value.Schema); len(codes) > 0 {
				w("<a href=\"#schema-Error\">Error</a>, code:")
				for _, code := range codes {
					w(" <code class=\"code\">%s</code>", e(code))
				}
			} else {
				w("%s <small>%s</small>", d.typeHTML(c.Value.Schema), e(c.Key))
			}
			for _, ex := range c.Value.Examples {
				w("<pre>%s</pre>", e(jsonText(ex.Value.Value)))
			}
		}
		w("</td></tr>\n")
	}
	w("</table></section>\n")
}

// auth describes the security requirement alternatives of an operation.
func (d *document) auth(reqs []map[string][]string) string {
	if len(reqs) == 0 {
		return "none"
	}
	var alts []string
	for _, r := range reqs {
		if len(r) == 0 {
			alts = append(alts, "none")
			continue
		}
		names := make([]string, 0, len(r))
		for n := range r {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			label := html.EscapeString(n)
			if s, ok := d.Components.SecuritySchemes.get(n); ok && s.Description != "" {
				label = fmt.Sprintf("<abbr title=\"%s\">%s</abbr>", html.EscapeString(s.Description), label)
			}
			names[i] = label
		}
		alts = append(alts, strings.Join(names, " and "))
	}
	return strings.Join(alts, " or ")
}

// renderSchemaBody shows a component schema: its properties as a table, or
// its type and constraints.
func (d *document) renderSchemaBody(b *bytes.Buffer, s *schema) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	if s.Description != "" {
		w("<p>%s</p>\n", inline(s.Description))
	}
	if len(s.Properties) == 0 {
		w("<p>%s%s</p>\n", d.typeHTML(s), d.constraints(s))
		return
	}
	w("<table><tr><th>field</th><th>type</th><th>description</th></tr>\n")
	d.renderProperties(b, s, "")
	w("</table>\n")
}

func (d *document) renderProperties(b *bytes.Buffer, s *schema, prefix string) {
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	for _, p := range s.Properties {
		req := ""
		if required[p.Key] {
			req = " <span class=\"req\">required</span>"
		}
		fmt.Fprintf(b, "<tr><td><code>%s%s</code>%s</td><td>%s</td><td>%s%s</td></tr>\n",
			html.EscapeString(prefix), html.EscapeString(p.Key), req, d.typeHTML(p.Value), inline(p.Value.Description), d.constraints(p.Value))
		if p.Value.Ref == "" && len(p.Value.Properties) > 0 {
			d.renderProperties(b, p.Value, prefix+p.Key+".")
		}
	}
}

// typeHTML names a schema's type, linking to component schemas.
func (d *document) typeHTML(s *schema) string {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		n := html.EscapeString(refName(s.Ref))
		return fmt.Sprintf("<a href=\"#schema-%s\">%s</a>", n, n)
	}
	if len(s.AllOf) == 1 {
		return d.typeHTML(s.AllOf[0])
	}
	t := s.Type
	switch {
	case t == "array":
		t = "array of " + d.typeHTML(s.Items)
	case s.Format != "":
		t = html.EscapeString(t + " (" + s.Format + ")")
	default:
		t = html.EscapeString(t)
	}
	if s.Nullable {
		t += " or null"
	}
	return t
}

// constraints lists a schema's limits after its description.
func (d *document) constraints(s *schema) string {
	if s == nil {
		return ""
	}
	var c []string
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = "<code>" + html.EscapeString(fmt.Sprint(v)) + "</code>"
		}
		c = append(c, "one of "+strings.Join(vals, ", "))
	}
	num := func(f *float64) string { return strconv.FormatFloat(*f, 'f', -1, 64) }
	switch {
	case s.Minimum != nil && s.Maximum != nil:
		c = append(c, num(s.Minimum)+" to "+num(s.Maximum))
	case s.Minimum != nil:
		c = append(c, "at least "+num(s.Minimum))
	case s.Maximum != nil:
		c = append(c, "at most "+num(s.Maximum))
	}
	switch {
	case s.MinLength != nil && s.MaxLength != nil:
		c = append(c, fmt.Sprintf("%d to %d characters", *s.MinLength, *s.MaxLength))
	case s.MaxLength != nil:
		c = append(c, fmt.Sprintf("at most %d characters", *s.MaxLength))
	}
	if s.Pattern != "" {
		c = append(c, "pattern <code>"+html.EscapeString(s.Pattern)+"</code>")
	}
	if s.Default != nil {
		c = append(c, "default <code>"+html.EscapeString(fmt.Sprint(s.Default))+"</code>")
	}
	if len(c) == 0 {
		return ""
	}
	return " <span class=\"lim\">" + strings.Join(c, "; ") + "</span>"
}

func jsonText(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

var (
	codeSpan = regexp.MustCompile("`([^`]+)`")
	strong   = regexp.MustCompile(`\*\*([^*]+)\*\*`)
)

// inline escapes text and renders `code` and **bold**.
func inline(s string) string {
	s = html.EscapeString(s)
	s = codeSpan.ReplaceAllString(s, "<code>$1</code>")
	return strong.ReplaceAllString(s, "<strong>$1</strong>")
}

// markdown renders paragraphs separated by blank lines, with inline marks.
func markdown(s string) string {
	var out []string
	for _, p := range strings.Split(strings.TrimSpace(s), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, "<p>"+inline(strings.ReplaceAll(p, "\n", " "))+"</p>")
		}
	}
	return strings.Join(out, "\n")
}

const css = `
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;display:flex}
nav{position:sticky;top:0;height:100vh;overflow:auto;width:19rem;flex:none;background:#f4f6fa;border-right:1px solid #dde2ea;padding:0 1rem;box-sizing:border-box;font-size:13px}
nav ul{list-style:none;padding:0;margin:0 0 .5rem}nav li{margin:.15rem 0}nav a{color:#1d2330;text-decoration:none}nav a:hover{text-decoration:underline}
nav h3{margin:1rem 0 .3rem;text-transform:uppercase;font-size:11px;color:#667}
main{padding:1rem 2.5rem 4rem;max-width:62rem;min-width:0}
h1 small{font-size:50%;color:#667}h2.tag{border-bottom:2px solid #dde2ea;margin-top:2.5rem;text-transform:capitalize}
section.op,section.schema{border:1px solid #dde2ea;border-radius:6px;padding:.2rem 1rem .8rem;margin:1rem 0}
section.op h3{margin:.6rem 0 .2rem;font-size:17px}section:target{box-shadow:0 0 0 3px #9cc3ff}
.m{display:inline-block;min-width:3.6em;text-align:center;border-radius:4px;color:#fff;font:bold 12px/1.7 monospace;padding:0 .3em}
.get{background:#2f7d32}.post{background:#1f62c4}.patch{background:#a3621a}.delete{background:#b3261e}.put{background:#6b3fa0}
.summary{margin:.2rem 0;font-weight:600}.meta{margin:0;color:#556;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:14px;margin:.3rem 0}th,td{border-bottom:1px solid #e6e9ef;text-align:left;vertical-align:top;padding:.3rem .5rem}
th{font-size:12px;color:#667;font-weight:600}td.ok{color:#2f7d32;font-weight:bold}td.err{color:#b3261e;font-weight:bold}
code{font:13px monospace;background:#f0f2f6;border-radius:3px;padding:0 .25em}code.code{background:#fde8e6;color:#8a1c15}
pre{background:#f4f6fa;border:1px solid #e1e5ec;border-radius:4px;padding:.5rem;overflow:auto;font-size:12px;margin:.3rem 0}
.req{color:#b3261e;font-size:11px}.lim{color:#556;font-size:13px}h4{margin:.8rem 0 .2rem}
@media(max-width:800px){body{display:block}nav{position:static;width:auto;height:auto}main{padding:1rem}}
`
