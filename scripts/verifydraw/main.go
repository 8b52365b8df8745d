// Command verifydraw checks a draw as anyone can: it fetches the draw's seed
// and seed_hash, its entrants and its winners from the public API (or reads
// them from a file), checks that SHA-256(seed) is seed_hash, recomputes the
// draw order from the seed and the entrants (the algorithm of package
// redislib/draworder, documented in redislib/README.md) and checks that the
// winners are the entrants at the front of that order, in that order.
//
//	go run ./scripts/verifydraw -url http://127.0.0.1:8080 -activity c1b5cbdc9d605a63
//	go run ./scripts/verifydraw -url ... -activity ... -seed-hash <the hash published before the draw>
//	go run ./scripts/verifydraw -url ... -activity ... -save draw.json   # and later: -file draw.json
//
// It exits 0 when the draw checks out, 1 when it does not (saying why), 2 on
// bad usage or when the draw cannot be read.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the API's base URL")
	activity := flag.String("activity", "", "the activity ID")
	file := flag.String("file", "", "read the draw from this JSON file (as written by -save) instead of the API")
	save := flag.String("save", "", "write the fetched draw to this JSON file")
	seedHash := flag.String("seed-hash", "", "the seed_hash published before the draw: the draw must commit to it")
	timeout := flag.Duration("timeout", 10*time.Second, "per request")
	flag.Parse()
	var d Draw
	var err error
	switch {
	case *file != "":
		d, err = readFile(*file)
	case *activity != "":
		c := &client{base: strings.TrimRight(*base, "/"), http: &http.Client{Timeout: *timeout}}
		d, err = c.fetch(*activity)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "verifydraw:", err)
		os.Exit(2)
	}
	if *save != "" {
		b, _ := json.MarshalIndent(d, "", "  ")
		if err := os.WriteFile(*save, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "verifydraw:", err)
			os.Exit(2)
		}
	}
	report, err := Verify(d, *seedHash)
	if err != nil {
		fmt.Fprintln(os.Stderr, "verifydraw: FAILED:", err)
		os.Exit(1)
	}
	fmt.Println(report)
}

func readFile(name string) (Draw, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return Draw{}, err
	}
	var d Draw
	if err := json.Unmarshal(b, &d); err != nil {
		return Draw{}, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}
