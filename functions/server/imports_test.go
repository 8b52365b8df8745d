package server_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// shared are the packages every function may import, each with the only
// seckill packages it may import itself: dependencies flow one way,
// functions/<op> -> shared packages -> redislib.
var shared = map[string][]string{
	"functions/httpapi":           {"redislib"},
	"functions/telemetry":         {"functions/httpapi", "redislib"},
	"functions/auth":              {"functions/httpapi", "redislib"},
	"functions/server":            {"functions/auth", "functions/httpapi", "functions/telemetry", "redislib"},
	"functions/server/servertest": {"functions/httpapi", "functions/server", "functions/telemetry", "redislib", "redislib/redistest"},
}

// TestImportsFlowOneWay reads the imports of the shared packages and of
// redislib: no shared package imports a function or a shared package beside
// its list, and redislib (tests included) imports nothing of functions/.
func TestImportsFlowOneWay(t *testing.T) {
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		dir := filepath.ToSlash(filepath.Dir(rel))
		allowed, isShared := shared[dir]
		isStore := dir == "redislib" || strings.HasPrefix(dir, "redislib/")
		if !isShared && !isStore {
			return nil
		}
		if isShared && strings.HasSuffix(path, "_test.go") {
			return nil // tests of the shared packages may serve real functions
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			local, ok := strings.CutPrefix(p, "seckill/")
			switch {
			case !ok:
			case isStore && strings.HasPrefix(local, "functions/"):
				t.Errorf("%s imports %s: redislib must not depend on functions", rel, p)
			case isShared && !slices.Contains(allowed, local):
				t.Errorf("%s imports %s; %s may import only %v", rel, p, dir, allowed)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d files checked", checked)
	}
}
