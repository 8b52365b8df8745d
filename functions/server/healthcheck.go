package server

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// healthcheckTimeout bounds one health check.
const healthcheckTimeout = 3 * time.Second

// healthcheck asks the function serving on port of this host whether it is
// ready (GET /readyz) and returns the exit code: 0 when it answers 200, 1
// otherwise. The images are distroless (no shell, no curl), so a container
// runtime checks a function by running its own binary with -healthcheck.
func healthcheck(stderr io.Writer, port int) int {
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/readyz"
	client := http.Client{Timeout: healthcheckTimeout}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(stderr, "unhealthy: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "unhealthy: GET %s answered %d: %s\n", url, resp.StatusCode, body)
		return 1
	}
	return 0
}
