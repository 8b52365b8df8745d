package sale

import "time"

// Queue statuses: where a user stands in a waiting room.
const (
	QueueWaiting  = "waiting"
	QueueAdmitted = "admitted"
	// QueueExpired: the user's admission is over (its token expired, or the
	// turn passed while the user was away longer than admission_ttl).
	QueueExpired = "expired"
	QueueSoldOut = "sold_out"
	QueueNotOpen = "not_open"
)

// Error codes of the waiting room.
const (
	// CodeNotQueue: the activity's admission is not queue (409).
	CodeNotQueue = "not_queue"
	// CodeNotInQueue: the user has not joined the activity's queue (404).
	CodeNotInQueue = "not_in_queue"
)

// QueueStatus is where a user stands in an activity's waiting room.
type QueueStatus struct {
	Status string `json:"status"`
	// Waiting: Position is the user's place in the line (1: next),
	// Ahead the users before them, EstimatedWaitSeconds the time until
	// admission at the admit rate (from the start, before it).
	Position             int64 `json:"position,omitempty"`
	Ahead                int64 `json:"ahead"`
	EstimatedWaitSeconds int64 `json:"estimated_wait_seconds,omitempty"`
	// Admitted, expired: when the admission began and ends.
	AdmittedAt *time.Time `json:"admitted_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	// Not open: when joining opens.
	QueueOpensAt *time.Time `json:"queue_opens_at,omitempty"`
}

// QueueLength is an activity's waiting room at one moment, for operators.
type QueueLength struct {
	// Joined is how many users hold a place.
	Joined int64 `json:"joined"`
	// Admitted is how many places the frontier has passed (admitted users,
	// whether or not they bought, and admissions that expired).
	Admitted int64 `json:"admitted"`
	// Waiting is Joined - Admitted: the users still in line.
	Waiting int64 `json:"waiting"`
	// SoldOut is true while no unit is left: the users in line are told so.
	SoldOut bool `json:"sold_out"`
	// AdmitRate is the activity's admit rate (admissions per second).
	AdmitRate int64 `json:"admit_rate"`
}
