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
// functions/<op> -> shared packages -> redislib -> redislib/sale.
var shared = map[string][]string{
	"functions/httpapi":   {"redislib/sale"},
	"functions/telemetry": {"functions/httpapi", "redislib", "redislib/sale"},
	"functions/auth":      {"functions/httpapi", "redislib", "redislib/sale"},
	"functions/server":    {"functions/auth", "functions/httpapi", "functions/telemetry", "redislib", "redislib/sale"},
	"functions/server/servertest": {"functions/httpapi", "functions/server", "functions/telemetry", "redislib",
		"redislib/redistest", "redislib/sale"},
}

// store are the store's packages, each with the only seckill packages its
// code (tests aside) may import: the domain, redislib/sale, knows neither
// the store nor Redis.
var store = map[string][]string{
	"redislib":              {"redislib/internal/key", "redislib/sale"},
	"redislib/internal/key": {"redislib/sale"},
	"redislib/sale":         {},
	"redislib/redistest":    {"redislib", "redislib/internal/key", "redislib/sale"},
}

// noRedis are the packages that must not import a Redis client.
var noRedis = []string{"redislib/sale", "redislib/internal/key", "functions/httpapi"}

// TestImportsFlowOneWay reads the imports of the shared packages and of
// redislib: no shared package imports a function or a shared package beside
// its list, redislib (tests included) imports nothing of functions/, each
// store package imports only the store packages of its list, and the domain
// and the HTTP helpers import no Redis client.
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
		isTest := strings.HasSuffix(path, "_test.go")
		if isShared && isTest {
			return nil // tests of the shared packages may serve real functions
		}
		storeAllowed, listed := store[dir]
		if isStore && !listed {
			t.Errorf("%s: package %s is not in the list of store packages", rel, dir)
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			local, ok := strings.CutPrefix(p, "seckill/")
			if strings.HasPrefix(p, "github.com/redis/") && slices.Contains(noRedis, dir) && !isTest {
				t.Errorf("%s imports %s: %s must not use Redis", rel, p, dir)
			}
			switch {
			case !ok:
			case isStore && strings.HasPrefix(local, "functions/"):
				t.Errorf("%s imports %s: redislib must not depend on functions", rel, p)
			case isStore && !isTest && !slices.Contains(storeAllowed, local):
				t.Errorf("%s imports %s; %s may import only %v", rel, p, dir, storeAllowed)
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
