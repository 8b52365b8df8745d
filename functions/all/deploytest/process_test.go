package deploytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

// proc is a function binary running as its own process, as in a container.
type proc struct {
	Port    int
	Base    string // http://127.0.0.1:port
	Started time.Time

	cmd  *exec.Cmd
	out  *servertest.Logs
	done chan struct{}
	code int
}

// startBinary runs bin on a free port against Redis at redisAddr, as the
// functions' Redis user of redistest (the shipped ACL), with only the
// environment given (nothing leaks in from the test's environment).
func startBinary(t testing.TB, bin, redisAddr string, env ...string) *proc {
	t.Helper()
	p := &proc{Port: redistest.FreePort(t), out: &servertest.Logs{}, done: make(chan struct{})}
	p.Base = "http://127.0.0.1:" + strconv.Itoa(p.Port)
	p.cmd = exec.Command(bin)
	p.cmd.Env = append([]string{
		"PORT=" + strconv.Itoa(p.Port),
		"REDIS_ADDR=" + redisAddr,
		"REDIS_USERNAME=" + redistest.FunctionsUser,
		"REDIS_PASSWORD=" + redistest.FunctionsPassword,
		"ADMIN_TOKEN=" + servertest.AdminToken,
		"PAYMENT_WEBHOOK_SECRET=" + server.TestWebhookSecret,
		"ADMISSION_SECRET=" + server.TestAdmissionSecret,
		"LOG_LEVEL=info",
		"USER_AUTH=off",
	}, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.Started = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		err := p.cmd.Wait()
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit):
			p.code = exit.ExitCode()
		default:
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", bin, p.out.String())
		}
	})
	return p
}

// waitReady polls GET /readyz until it answers 200 and returns the time from
// process start to that answer.
func (p *proc) waitReady(t testing.TB) time.Duration {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(p.Base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(p.Started)
			}
		}
		select {
		case <-p.done:
			t.Fatalf("process exited with %d before it was ready:\n%s", p.code, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 30s (last: %v):\n%s", err, p.out.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// signal sends sig to the process.
func (p *proc) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t testing.TB, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(limit):
		t.Fatalf("process still running %v after it was told to stop:\n%s", limit, p.out.String())
		return 0
	}
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// logLines returns the process's JSON log lines, decoded.
func (p *proc) logLines() []map[string]any {
	var lines []map[string]any
	for _, l := range strings.Split(p.out.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines
}

// logIndex returns the index of the first log line with msg, or -1.
func (p *proc) logIndex(msg string) int {
	for i, l := range p.logLines() {
		if l["msg"] == msg {
			return i
		}
	}
	return -1
}

// acceptsConnections reports whether something accepts TCP connections on the port.
func (p *proc) acceptsConnections() bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p.Port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// reply is an HTTP answer: status and, for error bodies, the error code.
type reply struct {
	Status int
	Code   string
	Body   []byte
}

// send makes one request; body is sent as JSON when not empty.
func send(client *http.Client, method, url, body string, admin bool) (reply, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return reply{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if admin {
		req.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
	}
	resp, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("read body: %w", err)
	}
	var eb httpapi.ErrorBody
	_ = json.Unmarshal(b, &eb)
	return reply{Status: resp.StatusCode, Code: eb.Error.Code, Body: b}, nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
