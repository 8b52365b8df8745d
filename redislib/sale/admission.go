package sale

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Admission modes of an activity: how shoppers get the right to buy.
const (
	// AdmissionOpen is the race: the first attempts through the door win.
	AdmissionOpen = "open"
	// AdmissionQueue is the waiting room: shoppers join a queue, which
	// admits them at the activity's admit rate; a purchase needs the
	// admission token the queue issues.
	AdmissionQueue = "queue"
	// AdmissionDraw is the draw: shoppers enter until draw_at; the draw
	// orders the entries by a function of a committed seed, and the first
	// stock of them win.
	AdmissionDraw = "draw"
)

// Draw statuses of a draw activity.
const (
	DrawPending = "pending"
	DrawRunning = "running"
	DrawDone    = "done"
)

// Limits and defaults of the admission settings.
const (
	// DefaultAdmissionTTL is how long, in seconds, an admission token lives
	// when the activity does not say.
	DefaultAdmissionTTL = 120
	// MinAdmissionTTL and MaxAdmissionTTL bound admission_ttl, in seconds.
	MinAdmissionTTL = 10
	MaxAdmissionTTL = 3600
	// MaxAdmitRate is the largest admit_rate, in admissions per second.
	MaxAdmitRate = 1_000_000
	// SeedBytes is the length of a draw's seed.
	SeedBytes = 32
)

// Error codes of the admission settings and of purchases that need an
// admission.
const (
	// CodeInvalidAdmission is a bad admission mode, a setting out of its
	// range, or a setting of another mode than the activity's (400).
	CodeInvalidAdmission = "invalid_admission"
	// CodeAdmissionRequired refuses a purchase in an activity whose
	// admission is not open, without a valid admission (403).
	CodeAdmissionRequired = "admission_required"
	// CodeMissingSetting is a setting the admission mode requires and the
	// request leaves out; it has the value of the HTTP layer's missing_field.
	CodeMissingSetting = "missing_field"
)

// OutcomeAdmissionRequired answers a purchase attempt without admission in an
// activity whose admission is not open (see purchase.lua). The HTTP layer
// answers it with 403 admission_required.
const OutcomeAdmissionRequired Outcome = "admission_required"

// AdmissionSettings are the admission fields of a new activity or of a change
// to one. On creation an empty Admission is AdmissionOpen; in a change it
// keeps the stored mode. A nil field is not given.
type AdmissionSettings struct {
	Admission string
	// Queue: QueueOpensAt (before starts_at) and AdmitRate (admissions per
	// second) are required; AdmissionTTL (seconds) defaults to
	// DefaultAdmissionTTL.
	QueueOpensAt *time.Time
	AdmitRate    *int64
	AdmissionTTL *int64
	// Draw: RegistrationOpensAt before DrawAt, and starts_at <= DrawAt <
	// ends_at (the draw awards during the sale window).
	RegistrationOpensAt *time.Time
	DrawAt              *time.Time
}

// queueFields and drawFields name the settings of each mode, as in JSON and
// in the activity hash.
var (
	queueFields = []string{"queue_opens_at", "admit_rate", "admission_ttl"}
	drawFields  = []string{"registration_opens_at", "draw_at"}
)

// given lists the JSON names of the settings given in s, queue's then draw's.
func (s AdmissionSettings) given() (queue, draw []string) {
	for i, set := range []bool{s.QueueOpensAt != nil, s.AdmitRate != nil, s.AdmissionTTL != nil} {
		if set {
			queue = append(queue, queueFields[i])
		}
	}
	for i, set := range []bool{s.RegistrationOpensAt != nil, s.DrawAt != nil} {
		if set {
			draw = append(draw, drawFields[i])
		}
	}
	return queue, draw
}

// checkAdmission validates each setting on its own and against the mode
// given (if any): the mode is one of the three, admit_rate 1..MaxAdmitRate,
// admission_ttl MinAdmissionTTL..MaxAdmissionTTL, no setting of another mode,
// and registration_opens_at before draw_at when both are given.
func (s AdmissionSettings) checkAdmission() error {
	switch s.Admission {
	case "", AdmissionOpen, AdmissionQueue, AdmissionDraw:
	default:
		return Errorf(CodeInvalidAdmission, "admission must be open, queue or draw")
	}
	if s.AdmitRate != nil && (*s.AdmitRate < 1 || *s.AdmitRate > MaxAdmitRate) {
		return Errorf(CodeInvalidAdmission, "admit_rate must be an integer number of admissions per second from 1 to %d", MaxAdmitRate)
	}
	if s.AdmissionTTL != nil && (*s.AdmissionTTL < MinAdmissionTTL || *s.AdmissionTTL > MaxAdmissionTTL) {
		return Errorf(CodeInvalidAdmission, "admission_ttl must be %d to %d seconds", MinAdmissionTTL, MaxAdmissionTTL)
	}
	queue, draw := s.given()
	switch {
	case s.Admission == AdmissionOpen && len(queue)+len(draw) > 0:
		return Errorf(CodeInvalidAdmission, "%s is a setting of admission queue or draw, not open", append(queue, draw...)[0])
	case s.Admission == AdmissionQueue && len(draw) > 0:
		return Errorf(CodeInvalidAdmission, "%s is a setting of admission draw, not queue", draw[0])
	case s.Admission == AdmissionDraw && len(queue) > 0:
		return Errorf(CodeInvalidAdmission, "%s is a setting of admission queue, not draw", queue[0])
	case s.Admission == "" && len(queue) > 0 && len(draw) > 0:
		return Errorf(CodeInvalidAdmission, "%s and %s belong to different admission modes", queue[0], draw[0])
	}
	if s.RegistrationOpensAt != nil && s.DrawAt != nil && !s.RegistrationOpensAt.Before(*s.DrawAt) {
		return Errorf(CodeInvalidTimeRange, "registration_opens_at must be before draw_at")
	}
	return nil
}

// checkNewAdmission validates the admission of a new activity that starts at
// startsAt and ends at endsAt: checkAdmission, the settings the mode
// requires, and the order of the times.
func (s AdmissionSettings) checkNewAdmission(startsAt, endsAt time.Time) error {
	if err := s.checkAdmission(); err != nil {
		return err
	}
	queue, draw := s.given()
	switch s.Admission {
	case "", AdmissionOpen:
		if len(queue)+len(draw) > 0 {
			return Errorf(CodeInvalidAdmission, "%s needs admission queue or draw", append(queue, draw...)[0])
		}
	case AdmissionQueue:
		switch {
		case s.QueueOpensAt == nil:
			return Errorf(CodeMissingSetting, "queue_opens_at is required with admission queue")
		case s.AdmitRate == nil:
			return Errorf(CodeMissingSetting, "admit_rate is required with admission queue")
		case !s.QueueOpensAt.Before(startsAt):
			return Errorf(CodeInvalidTimeRange, "queue_opens_at must be before starts_at")
		}
	case AdmissionDraw:
		switch {
		case s.RegistrationOpensAt == nil:
			return Errorf(CodeMissingSetting, "registration_opens_at is required with admission draw")
		case s.DrawAt == nil:
			return Errorf(CodeMissingSetting, "draw_at is required with admission draw")
		case s.DrawAt.Before(startsAt) || !s.DrawAt.Before(endsAt):
			return Errorf(CodeInvalidTimeRange, "draw_at must be at or after starts_at and before ends_at")
		}
	}
	return nil
}

// NewSeed returns a draw seed (SeedBytes from crypto/rand) and its
// commitment, both in lowercase hex: the seed_hash is the SHA-256 of the
// seed's bytes.
func NewSeed() (seed, seedHash string) {
	b := make([]byte, SeedBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(b), hex.EncodeToString(sum[:])
}

// ModeOrOpen returns the mode of settings given on creation.
func (s AdmissionSettings) ModeOrOpen() string {
	if s.Admission == "" {
		return AdmissionOpen
	}
	return s.Admission
}

// AdmissionInfo is the admission part of an Activity, as clients read it.
type AdmissionInfo struct {
	// Admission is open, queue or draw.
	Admission string `json:"admission"`
	// QueueOpensAt, AdmitRate and AdmissionTTL (seconds) are a queue's.
	QueueOpensAt *time.Time `json:"queue_opens_at,omitempty"`
	AdmitRate    int64      `json:"admit_rate,omitempty"`
	AdmissionTTL int64      `json:"admission_ttl,omitempty"`
	// RegistrationOpensAt and DrawAt are a draw's, and so are the seed's
	// commitment SeedHash (shown once registration opens), the Seed itself
	// (hex, shown only once the draw is done) and DrawStatus.
	RegistrationOpensAt *time.Time `json:"registration_opens_at,omitempty"`
	DrawAt              *time.Time `json:"draw_at,omitempty"`
	SeedHash            string     `json:"seed_hash,omitempty"`
	Seed                string     `json:"seed,omitempty"`
	DrawStatus          string     `json:"draw_status,omitempty"`
}

// ParseAdmission builds the admission settings of a request from its fields
// as decoded (nil: not given): the mode, and the times as RFC 3339 (a
// malformed time is invalid_time). Validate checks the rest.
func ParseAdmission(mode, queueOpensAt *string, admitRate, admissionTTL *int64, registrationOpensAt, drawAt *string) (AdmissionSettings, error) {
	s := AdmissionSettings{AdmitRate: admitRate, AdmissionTTL: admissionTTL}
	if mode != nil {
		s.Admission = *mode
		if s.Admission == "" {
			return s, Errorf(CodeInvalidAdmission, "admission must be open, queue or draw")
		}
	}
	for _, f := range []struct {
		name string
		in   *string
		out  **time.Time
	}{{"queue_opens_at", queueOpensAt, &s.QueueOpensAt}, {"registration_opens_at", registrationOpensAt, &s.RegistrationOpensAt},
		{"draw_at", drawAt, &s.DrawAt}} {
		if f.in == nil {
			continue
		}
		t, err := ParseTime(*f.in, f.name)
		if err != nil {
			return s, err
		}
		*f.out = &t
	}
	return s, nil
}
