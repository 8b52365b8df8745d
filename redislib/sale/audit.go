package sale

import (
	"context"
	"time"
)

// Every admin action on an activity or a product is recorded in an audit
// trail, written with the change itself, so an action is recorded if and
// only if it was applied. An entry holds who acted (the actor the caller
// names), when (Redis TIME), what (the action) and the values of the changed
// fields before and after. Requests that change nothing (a repeated cancel,
// a pause of a paused activity, a refused change) write no entry.

// Audit actions.
const (
	AuditCreate = "create"
	AuditUpdate = "update"
	AuditStock  = "stock"
	AuditCancel = "cancel"
	AuditPause  = "pause"
	AuditResume = "resume"
	AuditDelete = "delete"
	// AuditCancelOrder is an admin's cancellation of one order of the
	// activity; its before and after name the order, its user and status.
	AuditCancelOrder = "cancel_order"
)

// AuditEntry is one admin action.
type AuditEntry struct {
	// ID is the entry's position in the trail (a Redis stream ID).
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	// Before and After are the changed fields' values, as a JSON object each
	// (empty objects for a creation's Before).
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
}

// UnattributedActor is the actor recorded for a change whose context names
// none (see WithActor): a caller of the store other than an admin request.
const UnattributedActor = "unattributed"

type actorKey struct{}

// WithActor returns a context whose admin actions are recorded in the audit
// trail as done by actor: 1 to 128 printable ASCII characters (anything else
// is recorded as UnattributedActor). The HTTP layer names the admin behind
// each admin request this way, so every store method records its actor
// without taking it as an argument.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorOf returns the actor WithActor put in ctx, or UnattributedActor.
func ActorOf(ctx context.Context) string {
	actor, _ := ctx.Value(actorKey{}).(string)
	if actor == "" || len(actor) > 128 {
		return UnattributedActor
	}
	for i := 0; i < len(actor); i++ {
		if actor[i] < 0x21 || actor[i] > 0x7e {
			return UnattributedActor
		}
	}
	return actor
}
