package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"seckill/redislib/sale"
)

// AdmissionConfig holds the secret that signs admission tokens: the waiting
// room issues them, the purchase function verifies them in process, so every
// function serving either needs the same secret.
type AdmissionConfig struct {
	AdmissionSecret string `envconfig:"ADMISSION_SECRET" desc:"HS256 secret (at least 32 bytes) of the waiting room's admission tokens; required by the functions that issue or verify them (queue join and status, purchase); never logged"`
}

// MinAdmissionSecret is the shortest ADMISSION_SECRET accepted, in bytes.
const MinAdmissionSecret = 32

// ErrAdmissionSecretMissing is why a function that issues or verifies
// admission tokens refuses to start without ADMISSION_SECRET.
var ErrAdmissionSecretMissing = errors.New("ADMISSION_SECRET is not set: the waiting room's admission tokens cannot be signed or verified; " +
	"set the same random secret of at least 32 bytes on every function that serves the queue or purchases (scripts/run.sh generates one)")

// Check reports an ADMISSION_SECRET that is set but too short. A missing one
// is an error only for the functions that need it (RequireSecret).
func (cfg AdmissionConfig) Check() error {
	if cfg.AdmissionSecret != "" && len(cfg.AdmissionSecret) < MinAdmissionSecret {
		return fmt.Errorf("ADMISSION_SECRET must be at least %d bytes", MinAdmissionSecret)
	}
	return nil
}

// RequireSecret reports ErrAdmissionSecretMissing when no secret is set.
func (cfg AdmissionConfig) RequireSecret() error {
	if cfg.AdmissionSecret == "" {
		return ErrAdmissionSecretMissing
	}
	return cfg.Check()
}

// Admissions issues and verifies admission tokens: HS256 JWTs whose sub is
// the user, aid the activity and exp the end of the admission. Verifying
// needs no Redis: the signature proves the queue admitted that user to that
// activity, and exp bounds how long the proof is good.
type Admissions struct {
	key    []byte
	parser *jwt.Parser
}

// admissionClaims are an admission token's claims.
type admissionClaims struct {
	ActivityID string `json:"aid"`
	jwt.RegisteredClaims
}

// NewAdmissions returns the issuer and verifier of cfg's secret, or
// ErrAdmissionSecretMissing (or a too-short secret's error).
func NewAdmissions(cfg AdmissionConfig) (*Admissions, error) {
	if err := cfg.RequireSecret(); err != nil {
		return nil, err
	}
	return &Admissions{key: []byte(cfg.AdmissionSecret), parser: jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired())}, nil
}

// Issue returns the admission token of userID to activityID, good until
// expires (to the second, as JWTs count).
func (a *Admissions) Issue(userID, activityID string, expires time.Time) (string, error) {
	claims := admissionClaims{ActivityID: activityID, RegisteredClaims: jwt.RegisteredClaims{
		Subject: userID, ExpiresAt: jwt.NewNumericDate(expires)}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.key)
}

// Verify checks that token admits userID to activityID now. Its error is
// the request's answer: 403 admission_required, with a message saying what
// is wrong (missing, malformed, bad signature, expired, another user's or
// another activity's).
func (a *Admissions) Verify(token, userID, activityID string) error {
	if token == "" {
		return sale.Errorf(sale.CodeAdmissionRequired, "activity %s sells only to admitted users: join its waiting room (POST /activities/%s/queue) and send the admission_token it gives once you are admitted (a draw activity sells through its draw only)", activityID, activityID)
	}
	var claims admissionClaims
	_, err := a.parser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return a.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return sale.Errorf(sale.CodeAdmissionRequired, "the admission_token has expired: your admission is over")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return sale.Errorf(sale.CodeAdmissionRequired, "the admission_token's signature is not valid")
	case err != nil:
		return sale.Errorf(sale.CodeAdmissionRequired, "the admission_token is not a valid admission token")
	case claims.Subject != userID:
		return sale.Errorf(sale.CodeAdmissionRequired, "the admission_token admits another user")
	case claims.ActivityID != activityID:
		return sale.Errorf(sale.CodeAdmissionRequired, "the admission_token admits to another activity")
	}
	return nil
}

// QueueAnswer is what the waiting room's routes answer: the user's status
// and, once admitted, the admission token (see sale.QueueStatus).
type QueueAnswer struct {
	Status               string     `json:"status"`
	Position             *int64     `json:"position,omitempty"`
	Ahead                *int64     `json:"ahead,omitempty"`
	EstimatedWaitSeconds *int64     `json:"estimated_wait_seconds,omitempty"`
	AdmissionToken       string     `json:"admission_token,omitempty"`
	AdmittedAt           *time.Time `json:"admitted_at,omitempty"`
	ExpiresAt            *time.Time `json:"expires_at,omitempty"`
	QueueOpensAt         *time.Time `json:"queue_opens_at,omitempty"`
}

// Answer turns userID's status in activityID's waiting room into the
// routes' answer, with a token for an admitted user that expires with the
// admission. The token is a function of the user, the activity and the
// expiry only, so every repeat answers the same token.
func (a *Admissions) Answer(st sale.QueueStatus, userID, activityID string) (QueueAnswer, error) {
	ans := QueueAnswer{Status: st.Status, AdmittedAt: st.AdmittedAt, ExpiresAt: st.ExpiresAt, QueueOpensAt: st.QueueOpensAt}
	if st.Status == sale.QueueWaiting {
		ans.Position, ans.Ahead, ans.EstimatedWaitSeconds = &st.Position, &st.Ahead, &st.EstimatedWaitSeconds
	}
	if st.Status == sale.QueueAdmitted {
		token, err := a.Issue(userID, activityID, *st.ExpiresAt)
		if err != nil {
			return QueueAnswer{}, err
		}
		ans.AdmissionToken = token
	}
	return ans, nil
}
