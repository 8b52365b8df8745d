package sale

import (
	"fmt"
	"time"
)

// Outcome is the answer to one purchase attempt.
type Outcome string

// Purchase outcomes.
const (
	OutcomeWon        Outcome = "won"
	OutcomeAlreadyWon Outcome = "already_won"
	OutcomeSoldOut    Outcome = "sold_out"
	OutcomeNotStarted Outcome = "not_started"
	OutcomeEnded      Outcome = "ended"
	OutcomeCancelled  Outcome = "cancelled"
	// OutcomeOrderClosed answers a user whose order in the activity was
	// cancelled or expired: one order per user per activity, so they may not
	// buy there again (a bot cannot hold units through payment windows and
	// buy again). OutcomeAlreadyWon is for a user who holds a unit.
	OutcomeOrderClosed Outcome = "order_closed"
	// OutcomePaused answers every attempt while an admin has paused the
	// activity: nothing is sold until it is resumed.
	OutcomePaused Outcome = "paused"
)

// PurchaseResult is the outcome of a purchase attempt; for won, already_won
// and order_closed, the user's order ID; for order_closed, the order's
// status (OrderCancelled or OrderExpired).
type PurchaseResult struct {
	Outcome Outcome `json:"outcome"`
	OrderID string  `json:"order_id,omitempty"`
	Status  string  `json:"status,omitempty"`
}

// Rate is a rate limit: PerSecond requests per second on average, with up
// to Burst at once. A PerSecond or Burst of zero or less means no limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Off reports whether the rate limits nothing.
func (r Rate) Off() bool { return r.PerSecond <= 0 || r.Burst <= 0 }

// RateLimitedError is returned when an attempt was refused by its rate
// limit. Nothing else was read or written.
type RateLimitedError struct {
	// Wait is how long until the limit allows one more attempt.
	Wait time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limited: retry in %s", e.Wait)
}
