package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// client sends requests to one deployment. Each load worker takes its own
// caller, which reuses its buffers, so the hot loop allocates little.
type client interface {
	caller() caller
	close()
}

// caller sends one request at a time. The body it returns is valid until the
// next call.
type caller interface {
	do(ctx context.Context, method, path string, body []byte, admin bool) (status int, resp []byte, err error)
	// setUser sets the Authorization header of the next requests that are
	// not admin ones ("": none).
	setUser(authorization string)
}

func newClient(kind, base, adminToken string, conns int, timeout time.Duration) (client, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("--url %q: want http://host:port", base)
	}
	prefix := strings.TrimSuffix(u.Path, "/")
	switch kind {
	case "fasthttp":
		addr := u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
		hc := &fasthttp.HostClient{
			Addr:                     addr,
			IsTLS:                    u.Scheme == "https",
			MaxConns:                 conns,
			MaxConnWaitTimeout:       timeout,
			ReadTimeout:              timeout,
			WriteTimeout:             timeout,
			MaxIdleConnDuration:      time.Minute,
			NoDefaultUserAgentHeader: true,
			// A purchase that timed out may have been applied: never resend.
			RetryIf: func(*fasthttp.Request) bool { return false },
		}
		return &fastClient{hc: hc, host: u.Host, prefix: prefix, auth: "Bearer " + adminToken, timeout: timeout}, nil
	case "nethttp":
		tr := &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		}
		hc := &http.Client{Transport: tr, Timeout: timeout}
		return &netClient{hc: hc, base: strings.TrimSuffix(base, "/"), auth: "Bearer " + adminToken}, nil
	}
	return nil, fmt.Errorf("--client %q: want fasthttp or nethttp", kind)
}

type fastClient struct {
	hc      *fasthttp.HostClient
	host    string
	prefix  string
	auth    string
	timeout time.Duration
}

func (c *fastClient) caller() caller {
	return &fastCaller{c: c, req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
}

func (c *fastClient) close() { c.hc.CloseIdleConnections() }

type fastCaller struct {
	c    *fastClient
	req  *fasthttp.Request
	resp *fasthttp.Response
	uri  []byte
	user string
}

func (f *fastCaller) setUser(authorization string) { f.user = authorization }

func (f *fastCaller) do(ctx context.Context, method, path string, body []byte, admin bool) (int, []byte, error) {
	f.req.Reset()
	f.resp.Reset()
	f.uri = append(append(append(f.uri[:0], "http://"...), f.c.host...), f.c.prefix...)
	f.uri = append(f.uri, path...)
	f.req.SetRequestURIBytes(f.uri)
	f.req.Header.SetMethod(method)
	if body != nil {
		f.req.Header.SetContentType("application/json")
		f.req.SetBodyRaw(body)
	}
	if admin {
		f.req.Header.Set("Authorization", f.c.auth)
	} else if f.user != "" {
		f.req.Header.Set("Authorization", f.user)
	}
	timeout := f.c.timeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	if err := f.c.hc.DoTimeout(f.req, f.resp, timeout); err != nil {
		return 0, nil, err
	}
	return f.resp.StatusCode(), f.resp.Body(), nil
}

type netClient struct {
	hc   *http.Client
	base string
	auth string
}

func (c *netClient) caller() caller { return &netCaller{c: c} }

func (c *netClient) close() { c.hc.CloseIdleConnections() }

type netCaller struct {
	c    *netClient
	buf  bytes.Buffer
	user string
}

func (n *netCaller) setUser(authorization string) { n.user = authorization }

func (n *netCaller) do(ctx context.Context, method, path string, body []byte, admin bool) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, n.c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if admin {
		req.Header.Set("Authorization", n.c.auth)
	} else if n.user != "" {
		req.Header.Set("Authorization", n.user)
	}
	resp, err := n.c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	n.buf.Reset()
	if _, err := n.buf.ReadFrom(resp.Body); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, n.buf.Bytes(), nil
}
