package deploytest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mattn/go-shellwords"
)

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	Cmd  string // upper case: FROM, RUN, COPY...
	Args string
	Line int
}

// parseDockerfile splits a Dockerfile into instructions the way the Docker
// parser does: comment lines are dropped (also inside continuations) and a
// line ending in a backslash continues on the next.
func parseDockerfile(text string) []instruction {
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args), Line: start})
		cur.Reset()
	}
	return out
}

// stage is one FROM ... of a Dockerfile and its instructions.
type stage struct {
	From, Name string
	Ins        []instruction
}

// stages groups instructions by stage; instructions before the first FROM
// (global ARGs) are in a stage with an empty From.
func stages(ins []instruction) []stage {
	out := []stage{{}}
	for _, in := range ins {
		if in.Cmd == "FROM" {
			f := strings.Fields(in.Args)
			st := stage{From: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.Name = f[2]
			}
			out = append(out, st)
			continue
		}
		out[len(out)-1].Ins = append(out[len(out)-1].Ins, in)
	}
	return out
}

// dockerfile is what the tests need from the Dockerfile.
type dockerfile struct {
	Global, Build, Final stage
	// GoBuild is the build stage's go build: environment (ENV and the RUN's
	// own assignments) and the arguments after "go".
	GoBuildEnv  []string
	GoBuildArgs []string
	GoBuildRUN  instruction
}

var (
	dockerfileOnce sync.Once
	dockerfileVal  dockerfile
	dockerfileErr  error
)

// readDockerfile parses the repository's Dockerfile.
func readDockerfile(t testing.TB) dockerfile {
	t.Helper()
	dockerfileOnce.Do(func() { dockerfileVal, dockerfileErr = loadDockerfile(repoRoot(t)) })
	if dockerfileErr != nil {
		t.Fatal(dockerfileErr)
	}
	return dockerfileVal
}

func loadDockerfile(root string) (dockerfile, error) {
	var d dockerfile
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		return d, err
	}
	st := stages(parseDockerfile(string(b)))
	if len(st) < 3 {
		return d, fmt.Errorf("Dockerfile: want a build stage and a final stage, got %d stages", len(st)-1)
	}
	d.Global, d.Build, d.Final = st[0], st[1], st[len(st)-1]
	for _, in := range d.Build.Ins {
		switch {
		case in.Cmd == "ENV":
			d.GoBuildEnv = append(d.GoBuildEnv, envPairs(in.Args)...)
		case in.Cmd == "RUN" && strings.Contains(in.Args, "go build"):
			if d.GoBuildArgs != nil {
				return d, fmt.Errorf("Dockerfile line %d: a second go build; the build must be one generic command", in.Line)
			}
			words, err := shellwords.Parse(stripRunFlags(in.Args))
			if err != nil {
				return d, fmt.Errorf("Dockerfile line %d: %v", in.Line, err)
			}
			for len(words) > 0 && strings.Contains(words[0], "=") {
				d.GoBuildEnv = append(d.GoBuildEnv, words[0])
				words = words[1:]
			}
			if len(words) < 2 || words[0] != "go" || words[1] != "build" {
				return d, fmt.Errorf("Dockerfile line %d: want [VAR=value...] go build ..., got %q", in.Line, in.Args)
			}
			d.GoBuildArgs, d.GoBuildRUN = words[1:], in
		}
	}
	if d.GoBuildArgs == nil {
		return d, fmt.Errorf("Dockerfile: no RUN go build in the build stage")
	}
	return d, nil
}

// stripRunFlags drops RUN's own flags (--mount=...).
func stripRunFlags(args string) string {
	for strings.HasPrefix(args, "--") {
		_, rest, _ := strings.Cut(args, " ")
		args = strings.TrimSpace(rest)
	}
	return args
}

// envPairs reads "ENV A=1 B=2" (or the old "ENV A 1").
func envPairs(args string) []string {
	words, _ := shellwords.Parse(args)
	if len(words) == 2 && !strings.Contains(words[0], "=") {
		return []string{words[0] + "=" + words[1]}
	}
	return words
}

// argValue returns the default of ARG name in st, if declared.
func (s stage) argValue(name string) (string, bool) {
	for _, in := range s.Ins {
		if in.Cmd != "ARG" {
			continue
		}
		k, v, _ := strings.Cut(in.Args, "=")
		if strings.TrimSpace(k) == name {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// instructions returns the arguments of every cmd instruction of the stage.
func (s stage) instructions(cmd string) []string {
	var out []string
	for _, in := range s.Ins {
		if in.Cmd == cmd {
			out = append(out, in.Args)
		}
	}
	return out
}

// dockerignore is the .dockerignore's patterns, matched as Docker does: the
// last pattern that matches a path or one of its parent directories decides.
type dockerignore []ignorePattern

type ignorePattern struct {
	re      *regexp.Regexp
	exclude bool
}

func loadDockerignore(root string) (dockerignore, error) {
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		return nil, err
	}
	var ig dockerignore
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := ignorePattern{exclude: true}
		if strings.HasPrefix(line, "!") {
			p.exclude, line = false, strings.TrimSpace(line[1:])
		}
		p.re = regexp.MustCompile("^" + globRegexp(filepath.ToSlash(filepath.Clean(line))) + "$")
		ig = append(ig, p)
	}
	return ig, nil
}

// globRegexp translates a .dockerignore pattern: ** any number of
// directories, * and ? within one path element.
func globRegexp(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case p[i] == '*':
			b.WriteString("[^/]*")
		case p[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	return b.String()
}

// Excluded reports whether the context leaves out rel (slash-separated,
// relative to the context root).
func (ig dockerignore) Excluded(rel string) bool {
	excluded := false
	for _, p := range ig {
		for path := rel; path != "." && path != ""; path = parentDir(path) {
			if p.re.MatchString(path) {
				excluded = p.exclude
				break
			}
		}
	}
	return excluded
}

func parentDir(p string) string {
	i := strings.LastIndex(p, "/")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// copyContext copies into dst what the build stage's COPY instructions copy
// from the build context (the repository minus .dockerignore), as they
// would land under WORKDIR. Building there proves the image's sources are
// enough: a package outside them fails the build here as it would in Docker.
func copyContext(root, dst string, d dockerfile) error {
	ig, err := loadDockerignore(root)
	if err != nil {
		return err
	}
	for _, args := range d.Build.instructions("COPY") {
		words, err := shellwords.Parse(args)
		if err != nil {
			return err
		}
		if len(words) < 2 || strings.HasPrefix(words[0], "--") {
			return fmt.Errorf("COPY %s: only plain COPY src... dest is understood here", args)
		}
		dest := filepath.Join(dst, words[len(words)-1])
		for _, src := range words[:len(words)-1] {
			if err := copyTree(root, src, dest, ig, len(words) > 2 || strings.HasSuffix(words[len(words)-1], "/")); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyTree copies root/src: a directory's contents into dest, a file into
// dest (a directory when intoDir).
func copyTree(root, src, dest string, ig dockerignore, intoDir bool) error {
	base := filepath.Join(root, src)
	info, err := os.Stat(base)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		if ig.Excluded(filepath.ToSlash(filepath.Clean(src))) {
			return fmt.Errorf("COPY %s: the file is excluded by .dockerignore", src)
		}
		if intoDir {
			dest = filepath.Join(dest, filepath.Base(src))
		}
		return copyFile(base, dest)
	}
	return filepath.WalkDir(base, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if ig.Excluded(filepath.ToSlash(rel)) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		inner, _ := filepath.Rel(base, path)
		return copyFile(path, filepath.Join(dest, inner))
	})
}

func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Binaries are built once per test binary run, into binDir (made and
// removed by TestMain).
var (
	binDir     string
	buildMu    sync.Mutex
	builtBins  = map[string]string{}
	contextDir string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "seckill-deploytest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// dockerGoBuild returns the build stage's go build command for function,
// with $FUNCTION replaced and the output redirected to out.
func dockerGoBuild(d dockerfile, function, out string) (args []string, err error) {
	args = make([]string, len(d.GoBuildArgs))
	for i, a := range d.GoBuildArgs {
		a = strings.ReplaceAll(a, "${FUNCTION}", function)
		args[i] = strings.ReplaceAll(a, "$FUNCTION", function)
	}
	for i, a := range args {
		if a == "-o" && i+1 < len(args) {
			args[i+1] = out
			return args, nil
		}
	}
	return nil, fmt.Errorf("Dockerfile line %d: go build has no -o", d.GoBuildRUN.Line)
}

// buildBinary builds function exactly as the Dockerfile does (same
// environment, flags and package, from a copy of the image's sources) and
// returns the binary's path. Each function is built once per run.
func buildBinary(t testing.TB, function string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builtBins[function]; ok {
		return p
	}
	d := readDockerfile(t)
	root := repoRoot(t)
	if contextDir == "" {
		dir := filepath.Join(binDir, "context")
		if err := copyContext(root, dir, d); err != nil {
			t.Fatalf("copy the build context as the Dockerfile does: %v", err)
		}
		contextDir = dir
	}
	out := filepath.Join(binDir, "bin", function)
	args, err := dockerGoBuild(d, function, out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = contextDir
	cmd.Env = append(os.Environ(), d.GoBuildEnv...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s (as in the Dockerfile, FUNCTION=%s): %v\n%s", strings.Join(args, " "), function, err, b)
	}
	builtBins[function] = out
	return out
}
