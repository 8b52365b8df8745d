// Command drawbench measures a draw at scale: it enters N users in a draw
// activity through the entry script (as POST /activities/:id/entries does,
// without HTTP), closes registration, runs the draw job in this process
// until the first pass is done, and reports the entry rate, the time to rank
// the entries, the time to award the units, and the longest commands Redis
// ran meanwhile (its SLOWLOG), which bound how long the draw blocks Redis.
//
//	go run ./scripts/drawbench                          # its own redis-server, 1,000,000 entries, 10,000 units
//	go run ./scripts/drawbench -entries 100000 -stock 1000
//	go run ./scripts/drawbench -redis 127.0.0.1:16379   # a running Redis (as scripts/run.sh starts it)
//
// Without -redis it starts a private redis-server (appendonly yes,
// appendfsync always, as deployed) in a temporary directory and removes it
// afterwards. The SLOWLOG needs CONFIG SET and SLOWLOG, which the functions'
// ACL user may not run: with -redis, pass a user that may (the default user
// of scripts/run.sh's Redis does), or the report leaves it out.
package main

import (
	"context"
	"crypto/sha1"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func main() {
	addr := flag.String("redis", "", "Redis address (default: start a private redis-server)")
	user := flag.String("user", "", "Redis username")
	pass := flag.String("password", "", "Redis password")
	entries := flag.Int("entries", 1_000_000, "entrants")
	stock := flag.Int64("stock", 10_000, "units")
	conc := flag.Int("c", 64, "concurrent entries")
	flag.Parse()
	if err := run(*addr, *user, *pass, *entries, *stock, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "drawbench:", err)
		os.Exit(1)
	}
}

func run(addr, user, pass string, entries int, stock int64, conc int) error {
	ctx := context.Background()
	if addr == "" {
		a, stop, err := startRedis()
		if err != nil {
			return err
		}
		defer stop()
		addr = a
	}
	rdb, err := redislib.NewClient(redislib.Config{Addr: addr, Username: user, Password: pass, PoolSize: conc + 16, Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer rdb.Close()
	store := redislib.NewStore(rdb)
	id, err := drawActivity(ctx, store, stock)
	if err != nil {
		return err
	}
	fmt.Printf("activity %s: %d entrants, %d units, redis %s\n", id, entries, stock, addr)
	mem0 := usedMemory(ctx, rdb)

	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(entries) {
					return
				}
				if _, err := store.EnterDraw(ctx, id, "user-"+strconv.FormatInt(i, 10)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("enter: %w", err)
	}
	entered := time.Since(start)
	fmt.Printf("entering: %d entries in %s (%.0f/s, %d at once, one script each)\n",
		entries, entered.Round(time.Millisecond), float64(entries)/entered.Seconds(), conc)

	slow := rdb.ConfigSet(ctx, "slowlog-log-slower-than", "1000").Err() == nil &&
		rdb.ConfigSet(ctx, "slowlog-max-len", "1024").Err() == nil && rdb.Do(ctx, "slowlog", "reset").Err() == nil
	if err := rdb.HSet(ctx, redistest.ActivityKey(id), "draw_at", time.Now().Add(-time.Second).UnixMilli()).Err(); err != nil {
		return err
	}
	start = time.Now()
	for {
		p, err := store.RunDraw(ctx, id, redislib.DrawOptions{})
		if err != nil {
			return fmt.Errorf("draw: %w", err)
		}
		if p.Done {
			break
		}
	}
	total := time.Since(start)
	tm, err := store.DrawTiming(ctx, id)
	if err != nil {
		return err
	}
	d, err := store.Draw(ctx, id, sale.PageQuery{Limit: 1})
	if err != nil {
		return err
	}
	fmt.Printf("draw: %s in all; ranking %d entries %s, awarding %d units %s (by Redis time)\n",
		total.Round(time.Millisecond), d.Entries, tm.Ranked.Sub(tm.Started), d.Awarded, tm.Done.Sub(tm.Ranked))
	if mem1 := usedMemory(ctx, rdb); mem0 > 0 && mem1 > mem0 {
		fmt.Printf("memory: %.0f MB for the entries, the draw order and the orders (%.0f bytes per entry)\n",
			float64(mem1-mem0)/1e6, float64(mem1-mem0)/float64(entries))
	}
	if !slow {
		fmt.Println("slowlog: not readable with this user (CONFIG SET refused)")
		return nil
	}
	entriesLog, err := rdb.SlowLogGet(ctx, 1024).Result()
	if err != nil {
		return err
	}
	slices.SortFunc(entriesLog, func(a, b redis.SlowLog) int { return int(b.Duration - a.Duration) })
	fmt.Printf("slowlog: %d commands over 1 ms during the draw; the longest:\n", len(entriesLog))
	names := scriptNames()
	for _, e := range entriesLog[:min(5, len(entriesLog))] {
		name := ""
		if len(e.Args) > 0 {
			name = strings.ToLower(e.Args[0])
		}
		if len(e.Args) > 1 && name == "evalsha" {
			name += " " + names[strings.ToLower(e.Args[1])]
		}
		fmt.Printf("  %s %s\n", e.Duration, name)
	}
	return nil
}

// scriptNames maps the SHA-1 of each script of redislib/lua (read from the
// working directory, the module's root under go run) to its file name.
func scriptNames() map[string]string {
	names := map[string]string{}
	files, _ := filepath.Glob("redislib/lua/*.lua")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			names[fmt.Sprintf("%x", sha1.Sum(b))] = filepath.Base(f)
		}
	}
	return names
}

// usedMemory reads INFO memory's used_memory (0 when it cannot).
func usedMemory(ctx context.Context, rdb redis.UniversalClient) int64 {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// drawActivity creates a product and a running activity of stock units that
// sells by draw, registration open.
func drawActivity(ctx context.Context, store *redislib.Store, stock int64) (string, error) {
	p, err := store.CreateProduct(ctx, sale.NewProduct{Name: "drawbench", Price: 100})
	if err != nil {
		return "", err
	}
	now := time.Now()
	opens, drawAt := now.Add(-time.Minute), now.Add(time.Hour)
	a, err := store.CreateActivity(ctx, sale.NewActivity{ProductID: p.ID, Stock: stock, Price: 100,
		StartsAt: now.Add(-time.Minute), EndsAt: now.Add(24 * time.Hour), PaymentWindow: 900,
		AdmissionSettings: sale.AdmissionSettings{Admission: sale.AdmissionDraw, RegistrationOpensAt: &opens, DrawAt: &drawAt}})
	if err != nil {
		return "", err
	}
	return a.ID, nil
}

// startRedis starts a private durable redis-server on a free port.
func startRedis() (string, func(), error) {
	dir, err := os.MkdirTemp("", "drawbench")
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "")
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("redis-server: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := c.Ping(context.Background()).Err(); err == nil {
			return addr, stop, nil
		} else if time.Now().After(deadline) {
			stop()
			return "", nil, errors.New("redis-server did not answer within 10 s")
		}
	}
}
