package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// coldStartResult is what the coldstart sub-command reports.
type coldStartResult struct {
	Binary   string    `json:"binary"`
	Runs     int       `json:"runs"`
	MS       []float64 `json:"ms"`
	MinMS    float64   `json:"min_ms"`
	MedianMS float64   `json:"median_ms"`
	MaxMS    float64   `json:"max_ms"`
	TargetMS float64   `json:"target_ms"`
	OK       bool      `json:"ok"`
}

// coldStartMain measures process start to the first 200 on /readyz of one
// function binary, several times, on a free port of 127.0.0.1.
func coldStartMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest coldstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "", "function binary to start (for example a build of ./functions/purchase/cmd)")
	redisAddr := fs.String("redis", "", "REDIS_ADDR for the function (a durable Redis: appendonly yes, appendfsync always)")
	runs := fs.Int("runs", 10, "number of starts")
	target := fs.Float64("target-ms", 50, "the median must be below this")
	asJSON := fs.Bool("json", false, "write the result as one JSON object on stdout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *bin == "" || *redisAddr == "" || *runs < 1 {
		fmt.Fprintln(stderr, "loadtest coldstart: --bin and --redis are required, --runs >= 1")
		return 2
	}
	res := coldStartResult{Binary: *bin, Runs: *runs, TargetMS: *target}
	for i := 0; i < *runs; i++ {
		d, err := coldStartOnce(*bin, *redisAddr, 10*time.Second)
		if err != nil {
			fmt.Fprintf(stderr, "loadtest coldstart: run %d: %v\n", i+1, err)
			return 1
		}
		res.MS = append(res.MS, ms(d))
	}
	sorted := append([]float64(nil), res.MS...)
	sort.Float64s(sorted)
	res.MinMS, res.MedianMS, res.MaxMS = sorted[0], sorted[len(sorted)/2], sorted[len(sorted)-1]
	res.OK = res.MedianMS < *target
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintf(stdout, "cold start of %s (process start to first 200 on /readyz), %d runs: min %.1f ms, median %.1f ms, max %.1f ms (target < %.0f ms)\n",
			*bin, *runs, res.MinMS, res.MedianMS, res.MaxMS, *target)
	}
	if !res.OK {
		return 1
	}
	return 0
}

func coldStartOnce(bin, redisAddr string, limit time.Duration) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "REDIS_ADDR="+redisAddr,
		"ADMIN_TOKEN=coldstart-"+strconv.Itoa(port), "PAYMENT_WEBHOOK_SECRET=coldstart-payment-webhook-secret-0123456789", "ADMISSION_SECRET=coldstart-admission-secret-0123456789abcdef", "LOG_LEVEL=warn", "USER_AUTH=off")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/readyz"
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	for {
		resp, err := hc.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		select {
		case err := <-exited:
			exited <- err
			return 0, fmt.Errorf("%s exited before it was ready: %v", bin, err)
		default:
		}
		if time.Since(start) > limit {
			return 0, fmt.Errorf("%s not ready after %s", bin, limit)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
