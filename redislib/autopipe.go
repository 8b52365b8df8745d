package redislib

import (
	"context"
	"sync"

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
type autoPipe struct {
	rdb redis.UniversalClient

	mu       sync.Mutex
	queue    []*pipeCall
	flushers int
}

type pipeCall struct {
	ctx  context.Context // the caller's: a call it ended before the send is not sent
	cmds []redis.Cmder   // sent together, in this order
	done chan struct{}
}

func newAutoPipe(rdb redis.UniversalClient) *autoPipe { return &autoPipe{rdb: rdb} }

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
// on the connection with nothing in between, such as MULTI ... EXEC. It
// returns nil once they have run (each command holds its own reply or error)
// and ctx's error when the caller gave up first, after which none of cmds
// may be read.
func (p *autoPipe) processGroup(ctx context.Context, cmds ...redis.Cmder) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if trace.SpanFromContext(ctx).IsRecording() {
		// A traced request: its commands go on their own trip, on its own
		// context, so that the Redis spans are children of the request's span
		// rather than of a pipeline shared with other requests.
		if len(cmds) == 1 {
			_ = p.rdb.Process(ctx, cmds[0])
			return ctx.Err()
		}
		pipe := p.rdb.Pipeline()
		for _, cmd := range cmds {
			_ = pipe.Process(ctx, cmd)
		}
		failBatch(pipe.Exec(ctx))
		return ctx.Err()
	}
	c := &pipeCall{ctx: ctx, cmds: cmds, done: make(chan struct{})}
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
		p.exec(batch)
	}
}

// exec sends one pipeline. It runs on its own context: the callers' contexts
// end independently, and the client's read and write timeouts bound the trip.
// Every command gets its own reply or error; nothing is retried (the client
// is built with retries off, see NewClient). A call whose caller gave up
// while it waited in the queue is not sent at all: the caller has answered
// 503 already, and a write sent now would only land later, unasked for (for
// example after Redis was stalled), on top of a Redis that is catching up.
func (p *autoPipe) exec(batch []*pipeCall) {
	ctx := context.Background()
	pipe := p.rdb.Pipeline()
	for _, c := range batch {
		if c.ctx.Err() != nil {
			continue
		}
		for _, cmd := range c.cmds {
			_ = pipe.Process(ctx, cmd)
		}
	}
	if pipe.Len() > 0 {
		failBatch(pipe.Exec(ctx))
	}
	for _, c := range batch {
		close(c.done)
	}
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
