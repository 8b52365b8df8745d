package redislib

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
)

// Limits of the auto-pipeline.
const (
	// maxFlushers is how many pipelines may be in flight at once. Redis runs
	// one command at a time, so a few are enough to keep it busy while the
	// replies of the previous pipeline travel back. With appendfsync always,
	// Redis fsyncs once per event-loop turn for every write that turn read:
	// four pipelines in flight give each fsync more wins than two (measured
	// on the writes-only load, scripts/README.md), and more gained nothing.
	maxFlushers = 4
	// maxBatch is the most commands one pipeline carries.
	maxBatch = 256
)

// autoPipe sends the commands of concurrent callers to Redis together: every
// command that arrives while the pipelines in flight are busy joins the next
// pipeline. Under load this turns many round trips, each costing a write and
// a read system call on both ends, into a few, which is most of the cost of a
// short command on a busy machine. Each command stays atomic on its own (a
// script is still one EVALSHA); only the trips are shared.
//
// There is no background goroutine to manage: a flusher goroutine is started
// when a command is queued and fewer than maxFlushers run, and it exits as
// soon as the queue is empty.
//
// Every write of the store goes through it, because it is where a write is
// made durable beyond one machine: with acks > 0, each pipeline ends with
// WAIT acks, on the same connection as the writes, and a command is answered
// only once that many replicas have received it (see send). On a cluster a
// pipeline is split per primary, each part with its own WAIT.
type autoPipe struct {
	rdb redis.UniversalClient
	// cluster is rdb on a Redis Cluster, nil on one server.
	cluster *redis.ClusterClient
	// acks is how many replicas must have received a pipeline's writes
	// before its commands are answered; 0: no WAIT.
	acks       int
	ackTimeout time.Duration
	// redirects counts the MOVED and ASK replies followed.
	redirects atomic.Int64
	// panics counts the panics its goroutines (and the Store's) recovered;
	// onPanic, when set, is told of each (see OnPanic).
	panics  atomic.Int64
	onPanic func(where string, v any, stack []byte)

	mu       sync.Mutex
	queue    []*pipeCall
	flushers int
}

type pipeCall struct {
	ctx  context.Context // the caller's: a call it ended before the send is not sent
	cmds []redis.Cmder   // sent together, in this order
	done chan struct{}

	// On a cluster: the key whose slot routes the call, and where a MOVED or
	// ASK reply sent it (nil: the slot's primary in the client's map).
	key    string
	target *redis.Client
	asking bool
}

func newAutoPipe(rdb redis.UniversalClient) *autoPipe {
	cluster, _ := rdb.(*redis.ClusterClient)
	return &autoPipe{rdb: rdb, cluster: cluster}
}

// Process queues cmd for the next pipeline and waits until it has run or ctx
// ends. It returns the command's error, or ctx's error when the caller gave
// up first: the command may then still run, exactly like a command that timed
// out on the wire, so callers treat that as "unknown" (503), and cmd must not
// be read any more (the pipeline may still write its reply into it).
func (p *autoPipe) Process(ctx context.Context, cmd redis.Cmder) error {
	if err := p.processGroup(ctx, cmd); err != nil {
		return err
	}
	return cmd.Err()
}

// processGroup is Process for several commands that must follow each other
// on the connection with nothing in between, such as MULTI ... EXEC; on a
// cluster their keys share one slot. It returns nil once they have run (each
// command holds its own reply or error) and ctx's error when the caller gave
// up first, after which none of cmds may be read.
func (p *autoPipe) processGroup(ctx context.Context, cmds ...redis.Cmder) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &pipeCall{ctx: ctx, cmds: cmds, done: make(chan struct{}), key: firstKey(cmds[0])}
	if trace.SpanFromContext(ctx).IsRecording() {
		// A traced request: its commands go on their own trip, on its own
		// context, so that the Redis spans are children of the request's span
		// rather than of a pipeline shared with other requests.
		if len(cmds) == 1 && p.cluster == nil && p.acks == 0 {
			_ = p.rdb.Process(ctx, cmds[0])
			return ctx.Err()
		}
		p.send(ctx, []*pipeCall{c})
		return ctx.Err()
	}
	p.mu.Lock()
	p.queue = append(p.queue, c)
	if p.flushers < maxFlushers {
		p.flushers++
		go p.flush()
	}
	p.mu.Unlock()
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// processEach queues each of cmds as a call of its own (on a cluster their
// keys may live on different nodes) and waits until all have run or ctx
// ends. It returns the first command's error, or ctx's.
func (p *autoPipe) processEach(ctx context.Context, cmds []redis.Cmder) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	calls := make([]*pipeCall, len(cmds))
	for i, cmd := range cmds {
		calls[i] = &pipeCall{ctx: ctx, cmds: []redis.Cmder{cmd}, done: make(chan struct{}), key: firstKey(cmd)}
	}
	p.mu.Lock()
	p.queue = append(p.queue, calls...)
	if p.flushers < maxFlushers {
		p.flushers++
		go p.flush()
	}
	p.mu.Unlock()
	for _, c := range calls {
		select {
		case <-c.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return err
		}
	}
	return nil
}

// flush runs pipelines until the queue is empty.
func (p *autoPipe) flush() {
	for {
		p.mu.Lock()
		n := len(p.queue)
		if n == 0 {
			p.flushers--
			p.mu.Unlock()
			return
		}
		if n > maxBatch {
			n = maxBatch
		}
		batch := make([]*pipeCall, n)
		copy(batch, p.queue)
		p.queue = append(p.queue[:0], p.queue[n:]...)
		p.mu.Unlock()
		p.execSafe(batch)
	}
}

// execSafe is exec recovering from a panic: every call of the batch not
// answered yet fails with it, so that no caller waits for an answer that
// will not come and the flusher goes on with the queue.
func (p *autoPipe) execSafe(batch []*pipeCall) {
	defer func() {
		if v := recover(); v != nil {
			err := p.recovered("auto-pipeline", v)
			for _, c := range batch {
				if !isDone(c) {
					failCall(c, err)
					close(c.done)
				}
			}
		}
	}()
	p.exec(batch)
}

// exec sends one pipeline. It runs on its own context: the callers' contexts
// end independently, and the client's read and write timeouts bound the trip.
// Every command gets its own reply or error; nothing is retried (the client
// is built with retries off, see NewClient). A call whose caller gave up
// while it waited in the queue is not sent at all: the caller has answered
// 503 already, and a write sent now would only land later, unasked for (for
// example after Redis was stalled), on top of a Redis that is catching up.
func (p *autoPipe) exec(batch []*pipeCall) {
	live := batch[:0:0]
	for _, c := range batch {
		if c.ctx.Err() != nil {
			close(c.done)
			continue
		}
		live = append(live, c)
	}
	p.send(context.Background(), live)
}

// Bounds of what send does again for a call that did not run.
const (
	// maxRedirects is how many MOVED or ASK replies one call follows.
	maxRedirects = 3
	// tryAgainFor is how long a call answered TRYAGAIN (its keys are split
	// between two nodes while its slot migrates) is sent again: the script
	// did not run, so sending it again is safe. Past it, the answer is 503.
	tryAgainFor   = 2 * time.Second
	tryAgainPause = 20 * time.Millisecond
)

// send runs calls and closes each one's done once it holds its outcome. On
// one server they go in one pipeline. On a cluster they are grouped by the
// primary that serves their key's slot, one pipeline per primary, sent in
// parallel; a call answered MOVED or ASK did not run and is sent where the
// reply points (after ASKING for ASK), and one answered TRYAGAIN is sent
// again after a pause, within tryAgainFor.
func (p *autoPipe) send(ctx context.Context, calls []*pipeCall) {
	if len(calls) == 0 {
		return
	}
	if p.cluster == nil {
		p.sendNode(ctx, p.rdb, calls)
		for _, c := range calls {
			close(c.done)
		}
		return
	}
	start := time.Now()
	redirects := map[*pipeCall]int{}
	for len(calls) > 0 {
		groups := map[*redis.Client][]*pipeCall{}
		for _, c := range calls {
			node := c.target
			if node == nil {
				var err error
				if node, err = p.cluster.MasterForKey(ctx, c.key); err != nil {
					failCall(c, err)
					close(c.done)
					continue
				}
			}
			groups[node] = append(groups[node], c)
		}
		var wg sync.WaitGroup
		for node, group := range groups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					if v := recover(); v != nil {
						err := p.recovered("auto-pipeline", v)
						for _, c := range group {
							failCall(c, err)
						}
					}
				}()
				p.sendNode(ctx, node, group)
			}()
		}
		wg.Wait()
		var again []*pipeCall
		pause := false
		for _, c := range calls {
			if isDone(c) {
				continue
			}
			err := callErr(c)
			movedTo, moved := redis.IsMovedError(err)
			askTo, ask := redis.IsAskError(err)
			switch {
			case err == nil:
			case moved || ask:
				p.cluster.ReloadState(ctx)
				redirects[c]++
				if redirects[c] > maxRedirects || c.ctx.Err() != nil {
					break
				}
				p.redirects.Add(1)
				addr := movedTo
				if ask {
					addr = askTo
				}
				node, lookupErr := p.masterByAddr(ctx, addr)
				if lookupErr != nil {
					break
				}
				c.target, c.asking = node, ask
				again = append(again, c)
				continue
			case redis.IsTryAgainError(err):
				if time.Since(start) > tryAgainFor || c.ctx.Err() != nil {
					break
				}
				// Sent again to the same node (after ASKING again when it
				// was an ASK): the slot is moving, and a MOVED follows once
				// it has.
				redirects[c] = 0
				pause = true
				again = append(again, c)
				continue
			case !isRedisError(err):
				// No answer from the node (down, or failing over): refresh the
				// slot map so that the next calls find the promoted replica.
				p.cluster.ReloadState(ctx)
			}
			close(c.done)
		}
		if pause {
			time.Sleep(tryAgainPause)
		}
		for _, c := range again {
			for _, cmd := range c.cmds {
				cmd.SetErr(nil)
			}
		}
		calls = again
	}
}

// sendNode sends calls in one pipeline to one server (one primary of a
// cluster), followed by WAIT when writes must reach replicas: a command whose
// pipeline was not confirmed by enough replicas fails with an error wrapping
// ErrReplicaAck, whatever its reply (the write may be applied, exactly like
// a timeout).
func (p *autoPipe) sendNode(ctx context.Context, node interface{ Pipeline() redis.Pipeliner }, calls []*pipeCall) {
	pipe := node.Pipeline()
	for _, c := range calls {
		for i, cmd := range c.cmds {
			if i == 0 && c.asking {
				_ = pipe.Process(ctx, redis.NewStatusCmd(ctx, "asking"))
			}
			_ = pipe.Process(ctx, cmd)
		}
	}
	var wait *redis.IntCmd
	if p.acks > 0 {
		wait = redis.NewIntCmd(ctx, "wait", p.acks, p.ackTimeout.Milliseconds())
		_ = pipe.Process(ctx, wait)
	}
	failBatch(pipe.Exec(ctx))
	if wait == nil {
		return
	}
	var ackErr error
	switch n, err := wait.Result(); {
	case err != nil:
		ackErr = fmt.Errorf("%w: WAIT %d: %v", ErrReplicaAck, p.acks, err)
	case n < int64(p.acks):
		ackErr = fmt.Errorf("%w: %d of %d replicas confirmed within %s", ErrReplicaAck, n, p.acks, p.ackTimeout)
	default:
		return
	}
	for _, c := range calls {
		for _, cmd := range c.cmds {
			if err := cmd.Err(); err == nil || err == redis.Nil {
				cmd.SetErr(ackErr)
			}
		}
	}
}

// masterByAddr returns the client of the primary at addr, reloading the
// cluster's slot map to find it (a MOVED or ASK reply names a primary the
// map may not know yet, such as a replica just promoted).
func (p *autoPipe) masterByAddr(ctx context.Context, addr string) (*redis.Client, error) {
	var mu sync.Mutex
	var found *redis.Client
	err := p.cluster.ForEachMaster(ctx, func(_ context.Context, c *redis.Client) error {
		if c.Options().Addr == addr {
			mu.Lock()
			found = c
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("redirected to %s, which is not a known primary", addr)
	}
	return found, nil
}

// callErr is the first error among a call's commands other than redis.Nil.
func callErr(c *pipeCall) error {
	for _, cmd := range c.cmds {
		if err := cmd.Err(); err != nil && err != redis.Nil {
			return err
		}
	}
	return nil
}

func failCall(c *pipeCall, err error) {
	for _, cmd := range c.cmds {
		cmd.SetErr(err)
	}
}

func isDone(c *pipeCall) bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// isRedisError reports whether err is a reply of the server.
func isRedisError(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}

// firstKey returns the key that routes cmd on a cluster: KEYS[1] of a script,
// the first argument of any other command.
func firstKey(cmd redis.Cmder) string {
	args := cmd.Args()
	pos := 1
	switch cmd.Name() {
	case "eval", "evalsha", "eval_ro", "evalsha_ro":
		pos = 3
	}
	if pos < len(args) {
		if k, ok := args[pos].(string); ok {
			return k
		}
	}
	return ""
}

// The methods below make autoPipe a redis.Scripter, so a redis.Script runs
// through it with its usual EVALSHA-then-EVAL fallback.

func (p *autoPipe) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return p.eval(ctx, "eval", script, keys, args)
}

func (p *autoPipe) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return p.eval(ctx, "evalsha", sha1, keys, args)
}

func (p *autoPipe) EvalRO(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return p.eval(ctx, "eval_ro", script, keys, args)
}

func (p *autoPipe) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return p.eval(ctx, "evalsha_ro", sha1, keys, args)
}

func (p *autoPipe) ScriptExists(ctx context.Context, hashes ...string) *redis.BoolSliceCmd {
	return p.rdb.ScriptExists(ctx, hashes...)
}

func (p *autoPipe) ScriptLoad(ctx context.Context, script string) *redis.StringCmd {
	return p.rdb.ScriptLoad(ctx, script)
}

func (p *autoPipe) eval(ctx context.Context, name, scriptOrSha string, keys []string, args []any) *redis.Cmd {
	cmdArgs := make([]any, 0, 3+len(keys)+len(args))
	cmdArgs = append(cmdArgs, name, scriptOrSha, len(keys))
	for _, k := range keys {
		cmdArgs = append(cmdArgs, k)
	}
	cmdArgs = append(cmdArgs, args...)
	cmd := redis.NewCmd(ctx, cmdArgs...)
	if len(keys) > 0 {
		cmd.SetFirstKeyPos(3)
	}
	if err := p.Process(ctx, cmd); err != nil && ctx.Err() != nil {
		// The caller's context ended: cmd may still be written by the
		// pipeline, so answer with a command of our own.
		gaveUp := redis.NewCmd(ctx, cmdArgs...)
		gaveUp.SetErr(err)
		return gaveUp
	}
	return cmd
}

// failBatch makes sure every command of a pipeline carries its outcome. When
// a pipeline fails as a whole (no connection, a refused AUTH), the client may
// return the error without setting it on the commands, which would then read
// as empty replies; a command's own error (a script's, redis.Nil) is left as
// it is.
func failBatch(cmds []redis.Cmder, err error) {
	if err == nil {
		return
	}
	for _, cmd := range cmds {
		if cmd.Err() == err {
			return // the error is one command's own
		}
	}
	for _, cmd := range cmds {
		if cmd.Err() == nil {
			cmd.SetErr(err)
		}
	}
}
