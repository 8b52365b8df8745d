// Command gendeploy writes the deployment files that list the functions,
// from the function registry (package all) and the few per-function
// settings below:
//
//   - deploy/k8s/functions/: one file per function (its Deployment, Service,
//     HorizontalPodAutoscaler, the PodDisruptionBudget of a hot function and
//     the CronJob of a function called on a schedule) and the kustomize
//     Component listing them;
//   - deploy/k8s/knative/: the same functions as Knative Services, their
//     gateway routes and the Component listing them;
//   - deploy/k8s/gateway/routes.yaml: one gateway router per route;
//   - deploy/compose.yaml and deploy/compose.cluster.yaml (Redis Cluster):
//     the whole Compose files (their fixed part is templates/compose.yaml.tmpl).
//
// Run it with go generate ./functions/all/ (or go run ./functions/all/gendeploy)
// after changing the registry, a function's routes, the settings or the
// templates. It removes files of the generated directories that it no longer
// writes. A test fails while the committed files differ from what it writes.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"seckill/functions/all"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("gendeploy: ")
	wd, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	root, err := repoRoot(wd)
	if err != nil {
		log.Fatal(err)
	}
	files, err := render(all.Functions, settings)
	if err != nil {
		log.Fatal(err)
	}
	if err := write(root, files); err != nil {
		log.Fatal(err)
	}
}

// write writes files under root, leaving alone those already up to date, and
// removes the files of the generated directory that files does not have.
func write(root string, files map[string][]byte) error {
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		content := files[rel]
		path := filepath.Join(root, filepath.FromSlash(rel))
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
		log.Printf("wrote %s", rel)
	}
	stale, err := staleFiles(root, files)
	if err != nil {
		return err
	}
	for _, rel := range stale {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
			return err
		}
		log.Printf("removed %s", rel)
	}
	return nil
}

// staleFiles returns the files of the generated directories (generatedDirs)
// that files does not have: those of a function no longer in the registry.
func staleFiles(root string, files map[string][]byte) ([]string, error) {
	var stale []string
	for _, dir := range generatedDirs {
		entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			rel := dir + "/" + e.Name()
			if _, ok := files[rel]; !ok {
				stale = append(stale, rel)
			}
		}
	}
	return stale, nil
}

// repoRoot returns the module's root directory: dir or the nearest parent
// holding go.mod.
func repoRoot(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above %s", dir)
		}
		dir = parent
	}
}
