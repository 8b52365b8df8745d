package redistest

import (
	"bytes"
	"net"
	"sync"
	"testing"
)

// Proxy is a TCP proxy in front of a real Redis that fails on cue: a test
// points its client at Proxy.Addr and, with On, breaks the connection at the
// exact command it wants to fail, so an operation of several round trips
// meets a store failure in its middle. It never makes up a reply: a client
// only ever reads what Redis sent, or a closed connection.
type Proxy struct {
	// Addr is where clients connect.
	Addr string

	target string
	ln     net.Listener

	mu       sync.Mutex
	conns    map[*proxyConn]struct{}
	triggers []*trigger
	rewrites [][2][]byte
	wg       sync.WaitGroup
}

// Action is what the proxy does when a trigger fires.
type Action int

const (
	// Forward sends the command on, as if nothing happened.
	Forward Action = iota
	// Cut closes the client's connection at once: the command never reaches
	// Redis, and the client reads a closed connection.
	Cut
	// ForwardThenCutAll sends the command on and, once the first bytes
	// Redis sends next on that connection (a short reply: all of it) have
	// reached the client, closes every connection
	// open through the proxy. New connections are still served.
	ForwardThenCutAll
)

type trigger struct {
	match []byte
	fn    func() Action
	fired bool
}

type proxyConn struct {
	client, server net.Conn
	cutAfterReply  bool
}

// StartProxy starts a proxy to the Redis at target, stopped when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: listen: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// On arranges for fn to run once, the first time a client sends bytes that
// contain match, in any case (a command name, a script's SHA1), before they reach Redis;
// the proxy then does what fn returns.
func (p *Proxy) On(match string, fn func() Action) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.triggers = append(p.triggers, &trigger{match: bytes.ToLower([]byte(match)), fn: fn})
}

// Rewrite replaces old by new, of the same length, in every command sent
// from now on: with the SHA1s of two scripts, Redis runs another script
// than the one the client named (one the test loaded with SCRIPT LOAD),
// and the client reads that script's real reply.
func (p *Proxy) Rewrite(t testing.TB, old, new string) {
	t.Helper()
	if len(old) != len(new) {
		t.Fatalf("proxy: rewrite %q to %q changes the length of the command", old, new)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rewrites = append(p.rewrites, [2][]byte{[]byte(old), []byte(new)})
}

// Close stops accepting and closes every connection.
func (p *Proxy) Close() {
	_ = p.ln.Close()
	p.CutAll()
	p.wg.Wait()
}

// CutAll closes every connection open through the proxy now.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.client.Close()
		_ = c.server.Close()
		delete(p.conns, c)
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		c := &proxyConn{client: client, server: server}
		p.mu.Lock()
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.upstream(c)
		go p.downstream(c)
	}
}

// fire returns the action of the first unfired trigger that chunk matches.
func (p *Proxy) fire(chunk []byte) Action {
	lower := bytes.ToLower(chunk)
	p.mu.Lock()
	var t *trigger
	for _, tr := range p.triggers {
		if !tr.fired && bytes.Contains(lower, tr.match) {
			tr.fired, t = true, tr
			break
		}
	}
	p.mu.Unlock()
	if t == nil {
		return Forward
	}
	return t.fn()
}

func (p *Proxy) drop(c *proxyConn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.client.Close()
	_ = c.server.Close()
}

// upstream copies the client's commands to Redis, firing triggers.
func (p *Proxy) upstream(c *proxyConn) {
	defer p.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.client.Read(buf)
		if n > 0 {
			switch p.fire(buf[:n]) {
			case Cut:
				p.drop(c)
				return
			case ForwardThenCutAll:
				p.mu.Lock()
				c.cutAfterReply = true
				p.mu.Unlock()
			}
			p.mu.Lock()
			out := buf[:n]
			for _, r := range p.rewrites {
				out = bytes.ReplaceAll(out, r[0], r[1])
			}
			p.mu.Unlock()
			if _, werr := c.server.Write(out); werr != nil {
				p.drop(c)
				return
			}
		}
		if err != nil {
			p.drop(c)
			return
		}
	}
}

// downstream copies Redis's replies to the client.
func (p *Proxy) downstream(c *proxyConn) {
	defer p.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.server.Read(buf)
		if n > 0 {
			if _, werr := c.client.Write(buf[:n]); werr != nil {
				p.drop(c)
				return
			}
			p.mu.Lock()
			cut := c.cutAfterReply
			p.mu.Unlock()
			if cut {
				p.CutAll()
				return
			}
		}
		if err != nil {
			p.drop(c)
			return
		}
	}
}
