package deploytest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"seckill/functions/all"
)

// TestDockerfileIsGeneric checks that the Dockerfile builds any function
// named by FUNCTION with one go build of ./functions/$FUNCTION/cmd (so it
// holds no list of functions that could miss one), with the required flags,
// on the go.mod Go version, into a distroless nonroot image on port 8080.
func TestDockerfileIsGeneric(t *testing.T) {
	d := readDockerfile(t)

	if _, ok := d.Build.argValue("FUNCTION"); !ok {
		t.Error("the build stage declares no ARG FUNCTION")
	}
	if pkg := d.GoBuildArgs[len(d.GoBuildArgs)-1]; pkg != "./functions/$FUNCTION/cmd" && pkg != "./functions/${FUNCTION}/cmd" {
		t.Errorf("go build builds %q, want ./functions/$FUNCTION/cmd (generic: no function is named)", pkg)
	}
	if !slices.Contains(d.GoBuildEnv, "CGO_ENABLED=0") {
		t.Errorf("go build environment %v lacks CGO_ENABLED=0 (static binary)", d.GoBuildEnv)
	}
	for _, flag := range []string{"-trimpath", "-ldflags=-s -w"} {
		if !slices.Contains(d.GoBuildArgs, flag) {
			t.Errorf("go build %v lacks %s", d.GoBuildArgs, flag)
		}
	}

	goVersion := goModGoVersion(t)
	if v, _ := d.Global.argValue("GO_VERSION"); v != goVersion {
		t.Errorf("ARG GO_VERSION=%q, want go.mod's go %q", v, goVersion)
	}
	if d.Build.From != "golang:${GO_VERSION}" && d.Build.From != "golang:"+goVersion {
		t.Errorf("build stage FROM %s, want golang:${GO_VERSION}", d.Build.From)
	}
	if !strings.HasPrefix(d.Final.From, "gcr.io/distroless/static") || !strings.HasSuffix(d.Final.From, ":nonroot") {
		t.Errorf("final stage FROM %s, want gcr.io/distroless/static-*:nonroot", d.Final.From)
	}
	if got := d.Final.instructions("USER"); !slices.Equal(got, []string{"nonroot"}) {
		t.Errorf("final stage USER %v, want [nonroot]", got)
	}
	if got := d.Final.instructions("EXPOSE"); !slices.Equal(got, []string{"8080"}) {
		t.Errorf("final stage EXPOSE %v, want [8080]", got)
	}
	if got := d.Final.instructions("ENTRYPOINT"); !slices.Equal(got, []string{`["/seckill"]`}) {
		t.Errorf("final stage ENTRYPOINT %v, want [\"/seckill\"] (exec form: the binary is PID 1 and gets SIGTERM)", got)
	}
	if got := d.Final.instructions("COPY"); len(got) != 1 || !strings.HasPrefix(got[0], "--from=build ") {
		t.Errorf("final stage COPY %v, want only the binary from the build stage", got)
	}
}

// TestEveryRegistryFunctionHasACommand checks that FUNCTION=<name> works for
// every registry function, and that every functions/<name>/cmd is in the
// registry (or is the all-in-one command).
func TestEveryRegistryFunctionHasACommand(t *testing.T) {
	root := repoRoot(t)
	cmds := map[string]bool{}
	dirs, err := filepath.Glob(filepath.Join(root, "functions", "*", "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		name := filepath.Base(filepath.Dir(dir))
		if name != allInOne {
			cmds[name] = true
		}
	}
	checkSameNames(t, "functions/*/cmd", cmds)
	if len(all.Functions) == 0 {
		t.Fatal("the registry is empty")
	}
}

// TestDockerignoreKeepsOnlyTheSources checks what the build context holds.
func TestDockerignoreKeepsOnlyTheSources(t *testing.T) {
	ig, err := loadDockerignore(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		in   bool
	}{
		{"go.mod", true},
		{"go.sum", true},
		{"functions/purchase/purchase.go", true},
		{"functions/purchase/cmd/main.go", true},
		{"functions/all/all.go", true},
		{"redislib/store.go", true},
		{"redislib/lua/purchase.lua", true},
		{".git/HEAD", false},
		{"deploy/compose.yaml", false},
		{"scripts/test.sh", false},
		{"README.md", false},
		{"bin/purchase", false},
		{"functions/httpapi/decode_fuzz_test.go", false},
		{"redislib/store_test.go", false},
		{"functions/httpapi/testdata/fuzz/FuzzDecode/seed", false},
	} {
		if got := !ig.Excluded(tc.path); got != tc.in {
			t.Errorf("%s in the build context = %v, want %v", tc.path, got, tc.in)
		}
	}
}

// goModGoVersion returns go.mod's go directive.
func goModGoVersion(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "edit", "-json")
	cmd.Dir = repoRoot(t)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var mod struct{ Go string }
	if err := json.Unmarshal(b, &mod); err != nil {
		t.Fatal(err)
	}
	return mod.Go
}

// readFile returns a file of the repository.
func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
