package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// userView is what the purchase answers told one user.
type userView struct {
	won      int    // "won" answers
	holds    bool   // at least one won or already_won
	orderID  string // the order ID of the first won/already_won answer
	conflict bool   // won/already_won answers carried different order IDs
	errored  bool   // at least one request got no usable answer
}

func viewOf(res *results, u int) userView {
	var v userView
	for r := u * res.perUser; r < (u+1)*res.perUser; r++ {
		switch res.outcome[r] {
		case outWon, outAlreadyWon:
			if res.outcome[r] == outWon {
				v.won++
			}
			id := res.orderID[r]
			if !v.holds {
				v.holds, v.orderID = true, id
			} else if id != v.orderID {
				v.conflict = true
			}
		case outError, outNone:
			v.errored = true
		}
	}
	return v
}

// verify checks the sale against the answers the users got and against the
// deployment's own view (result queries and the activity), adding one check
// per property to sum.
func verify(ctx context.Context, cl client, o options, activityID string, res *results, sum *summary) {
	want := int64(o.users)
	if o.stock < want {
		want = o.stock
	}
	sum.ExpectedWinners = want

	sum.addCheck("http_errors", sum.HTTPErrors == 0 && res.done == int64(res.total()),
		fmt.Sprintf("%d HTTP errors, %d of %d requests answered", sum.HTTPErrors, res.done, res.total()))

	// One order per user, from the purchase answers alone.
	var winners, twoWins, noWin, conflicts, emptyIDs, sharedIDs int
	owner := make(map[string]int, want)
	var toQuery []int // users whose result query is checked
	var errored []int
	for u := 0; u < o.users; u++ {
		v := viewOf(res, u)
		if v.errored {
			errored = append(errored, u)
		}
		if !v.holds {
			continue
		}
		winners++
		toQuery = append(toQuery, u)
		switch {
		case v.won > 1:
			twoWins++
		case v.won == 0 && !v.errored:
			noWin++ // already_won without ever being told won
		}
		if v.conflict {
			conflicts++
		}
		if v.orderID == "" {
			emptyIDs++
			continue
		}
		if prev, ok := owner[v.orderID]; ok && prev != u {
			sharedIDs++
		}
		owner[v.orderID] = u
	}
	sum.addCheck("one_order_per_user", twoWins+noWin+conflicts+emptyIDs+sharedIDs == 0,
		fmt.Sprintf("%d users told won twice, %d told already_won but never won, %d given two order IDs, %d wins without an order ID, %d order IDs given to two users",
			twoWins, noWin, conflicts, emptyIDs, sharedIDs))

	// Result queries: every winner, every user with a failed request, and
	// all or a sample of the losers.
	losers := make([]int, 0, o.users-winners)
	for u := 0; u < o.users; u++ {
		if v := viewOf(res, u); !v.holds && !v.errored {
			losers = append(losers, u)
		}
	}
	sample := len(losers)
	if o.verifyLosers != "all" {
		fmt.Sscan(o.verifyLosers, &sample)
		if sample < len(losers) {
			rnd := rand.New(rand.NewPCG(uint64(len(losers)), 42))
			rnd.Shuffle(len(losers), func(i, j int) { losers[i], losers[j] = losers[j], losers[i] })
			losers = losers[:sample]
		}
	}
	sort.Ints(losers)
	toQuery = append(append(toQuery, errored...), losers...)
	q := queryResults(ctx, cl, o.conns, activityID, toQuery, o.tokens)

	var mismatch, winnerTold, loserWon, queryErrs, erroredWinners int
	var examples []string
	for i, u := range toQuery {
		r := q[i]
		if r.err != "" {
			queryErrs++
			examples = appendExample(examples, fmt.Sprintf("%s: %s", userID(u), r.err))
			continue
		}
		v := viewOf(res, u)
		switch {
		case v.holds && (!r.Won || r.OrderID != v.orderID):
			if !r.Won {
				winnerTold++
			} else {
				mismatch++
			}
			examples = appendExample(examples, fmt.Sprintf("%s: purchase said order %s, result query says won=%v order %q", userID(u), v.orderID, r.Won, r.OrderID))
		case !v.holds && v.errored:
			if r.Won {
				erroredWinners++ // won, but the answer was lost: counted as a winner
			}
		case !v.holds && r.Won:
			loserWon++
			examples = appendExample(examples, fmt.Sprintf("%s: purchase said %s, result query says won with order %s", userID(u), lostAs(res, u), r.OrderID))
		}
	}
	sum.ResultQueries = len(toQuery)
	detail := fmt.Sprintf("%d queried (%d winners, %d with failed requests, %d of the losers): %d winners told they lost, %d order IDs differ, %d losers found to have won, %d query errors",
		len(toQuery), winners, len(errored), len(losers), winnerTold, mismatch, loserWon, queryErrs)
	if len(examples) > 0 {
		detail += "; e.g. " + strings.Join(examples, "; ")
	}
	sum.addCheck("result_query", winnerTold+mismatch+loserWon+queryErrs == 0, detail)

	total := int64(winners + erroredWinners)
	sum.Winners = total
	sum.addCheck("winners", total == want, fmt.Sprintf("%d users won, want exactly %d", total, want))

	// The activity's own view of its stock.
	var a struct {
		Stock     int64 `json:"stock"`
		Remaining int64 `json:"remaining"`
		Sold      int64 `json:"sold"`
		Status    string
	}
	if err := callJSON(ctx, cl.caller(), "GET", "/activities/"+activityID, "", false, 200, &a); err != nil {
		sum.addCheck("remaining", false, "read the activity: "+err.Error())
		return
	}
	sum.Activity = &activityState{Stock: a.Stock, Remaining: a.Remaining, Sold: a.Sold, Status: a.Status}
	wantRemaining := o.stock - want
	sum.addCheck("remaining", a.Remaining == wantRemaining && a.Sold == want && a.Stock == o.stock,
		fmt.Sprintf("activity says stock %d, remaining %d, sold %d (status %s); want remaining %d, sold %d",
			a.Stock, a.Remaining, a.Sold, a.Status, wantRemaining, want))
}

func appendExample(ex []string, s string) []string {
	if len(ex) < 3 {
		ex = append(ex, s)
	}
	return ex
}

func lostAs(res *results, u int) string {
	var parts []string
	for r := u * res.perUser; r < (u+1)*res.perUser; r++ {
		parts = append(parts, outcomeNames[res.outcome[r]])
	}
	return strings.Join(parts, ", ")
}

type queryResult struct {
	Won     bool   `json:"won"`
	OrderID string `json:"order_id"`
	err     string
}

// queryResults asks GET /activities/:id/purchases/:user_id for every user in
// users, with conns workers (and each user's token from tokens, when set),
// and returns the answers in the same order.
func queryResults(ctx context.Context, cl client, conns int, activityID string, users []int, tokens []string) []queryResult {
	out := make([]queryResult, len(users))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cl.caller()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(users) {
					return
				}
				if ctx.Err() != nil {
					out[i].err = context.Cause(ctx).Error()
					continue
				}
				if tokens != nil {
					c.setUser(tokens[users[i]])
				}
				status, body, err := c.do(ctx, "GET", "/activities/"+activityID+"/purchases/"+userID(users[i]), nil, false)
				switch {
				case err != nil:
					out[i].err = err.Error()
				case status != 200:
					out[i].err = fmt.Sprintf("status %d %s", status, errorCode(body))
				default:
					if err := json.Unmarshal(body, &out[i]); err != nil {
						out[i].err = "bad body: " + err.Error()
					}
				}
			}
		}()
	}
	wg.Wait()
	return out
}
