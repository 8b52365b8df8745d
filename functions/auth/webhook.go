package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"seckill/functions/httpapi"
	"seckill/redislib/sale"
)

// SignatureHeader is the header of a payment confirmation that proves it
// comes from the payment service: "t=<unix seconds>,v1=<hex HMAC-SHA256>",
// the HMAC keyed with the webhook secret over "<t>.<raw body>", in the shape
// payment providers sign their webhooks. More than one v1 may be given.
const SignatureHeader = "Payment-Signature"

// MinWebhookSecretLen is the shortest webhook secret accepted, in bytes.
const MinWebhookSecretLen = 32

// PaymentConfig is how payment confirmations are checked. Confirmations are
// refused unless a webhook secret is set or demo payments are on.
type PaymentConfig struct {
	PaymentWebhookSecret string `envconfig:"PAYMENT_WEBHOOK_SECRET" desc:"secret (at least 32 bytes) the payment service signs confirmations with (HMAC-SHA256); the payment function refuses to start without it unless PAYMENT_DEMO is set (never logged)"`
	// PaymentWebhookSecretPrevious lets both secrets verify during a rotation.
	PaymentWebhookSecretPrevious string        `envconfig:"PAYMENT_WEBHOOK_SECRET_PREVIOUS" desc:"during a secret rotation, the secret being retired; confirmations signed with either are accepted (never logged)"`
	PaymentWebhookTolerance      time.Duration `envconfig:"PAYMENT_WEBHOOK_TOLERANCE" default:"5m" desc:"how far a confirmation's signed timestamp may be from this server's clock; older ones are refused as replays"`
	PaymentCurrency              string        `envconfig:"PAYMENT_CURRENCY" default:"USD" desc:"ISO 4217 currency of every price; a confirmation in another currency is refused and recorded for a refund"`
	PaymentDemo                  bool          `envconfig:"PAYMENT_DEMO" default:"false" desc:"local trials only: serve POST /orders/:id/demo-payment, which lets a shopper pay without paying (a confirmation signed server-side with the webhook secret, or with a random one of the process when none is set)"`
}

// Check reports why cfg cannot verify confirmations, without a secret's value.
// A missing secret is not an error here: only the payment function needs
// one (see RequireWebhookSecret).
func (cfg PaymentConfig) Check() error {
	for name, s := range map[string]string{"PAYMENT_WEBHOOK_SECRET": cfg.PaymentWebhookSecret,
		"PAYMENT_WEBHOOK_SECRET_PREVIOUS": cfg.PaymentWebhookSecretPrevious} {
		if s != "" && len(s) < MinWebhookSecretLen {
			return errors.New(name + " must be at least 32 bytes (for example: openssl rand -hex 32)")
		}
	}
	if cfg.PaymentWebhookSecretPrevious != "" && cfg.PaymentWebhookSecret == "" {
		return errors.New("PAYMENT_WEBHOOK_SECRET_PREVIOUS needs PAYMENT_WEBHOOK_SECRET (the new secret)")
	}
	if cfg.PaymentWebhookTolerance <= 0 {
		return errors.New("PAYMENT_WEBHOOK_TOLERANCE must be positive")
	}
	if !sale.ValidCurrency(cfg.PaymentCurrency) {
		return errors.New("PAYMENT_CURRENCY must be an ISO 4217 code such as USD")
	}
	return nil
}

// RequireWebhookSecret is the start-up check of a function that confirms
// payments: it fails without a webhook secret unless demo payments are on.
func (cfg PaymentConfig) RequireWebhookSecret() error {
	if cfg.PaymentWebhookSecret == "" && !cfg.PaymentDemo {
		return errors.New("PAYMENT_WEBHOOK_SECRET is not set: this function confirms payments and refuses to start without " +
			"the secret the payment service signs them with (set it, e.g. openssl rand -hex 32, in the payment service and here; " +
			"or PAYMENT_DEMO=true for local trials only)")
	}
	return nil
}

// Webhook verifies the signature of payment confirmations.
type Webhook struct {
	secrets   [][]byte
	tolerance time.Duration
	now       func() time.Time
}

// NewWebhook returns the verifier of cfg: the secret and, during a rotation,
// the previous one; in demo mode without a secret, a random secret of the
// process (the demo payment signs in the same process that verifies).
func NewWebhook(cfg PaymentConfig) *Webhook {
	w := &Webhook{tolerance: cfg.PaymentWebhookTolerance, now: time.Now}
	for _, s := range []string{cfg.PaymentWebhookSecret, cfg.PaymentWebhookSecretPrevious} {
		if s != "" {
			w.secrets = append(w.secrets, []byte(s))
		}
	}
	if len(w.secrets) == 0 && cfg.PaymentDemo {
		w.secrets = [][]byte{[]byte(rand.Text() + rand.Text())}
	}
	return w
}

// Sign returns the signature header value of body at time t with the
// current secret: what the payment service sends, and what the demo payment
// sends itself.
func (w *Webhook) Sign(t time.Time, body []byte) string {
	return SignPayload(w.secrets[0], t, body)
}

// SignPayload returns the signature header value of body at time t with secret.
func SignPayload(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks header (SignatureHeader's value) against the raw body: 401
// missing_signature without one, invalid_signature when it is malformed or
// no v1 matches a secret (compared in constant time), stale_signature when
// its timestamp is further than the tolerance from now (a replay of an old
// confirmation). The signature is checked before the timestamp, so a forger
// learns nothing from the answer.
func (w *Webhook) Verify(header string, body []byte) error {
	if strings.TrimSpace(header) == "" {
		return httpapi.Fail(httpapi.CodeMissingSignature, "payment confirmations need the header %s: t=<unix time>,v1=<HMAC-SHA256 of \"<t>.<body>\" in hex>", SignatureHeader)
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return httpapi.Fail(httpapi.CodeInvalidSignature, "%s is malformed", SignatureHeader)
		case k == "t":
			ts = v
		case k == "v1":
			if sig, err := hex.DecodeString(v); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, sig)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return httpapi.Fail(httpapi.CodeInvalidSignature, "%s needs t=<unix time> and v1=<64 hex characters>", SignatureHeader)
	}
	matched := false
	for _, secret := range w.secrets {
		want := mac(secret, ts, body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				matched = true
			}
		}
	}
	if !matched {
		return httpapi.Fail(httpapi.CodeInvalidSignature, "the signature does not match: not signed with the webhook secret, or the body was changed")
	}
	if age := w.now().Sub(time.Unix(sec, 0)); age > w.tolerance || age < -w.tolerance {
		return httpapi.Fail(httpapi.CodeStaleSignature, "the signature's timestamp is %s from this server's clock, beyond %s: a replay, or a clock to fix",
			age.Round(time.Second), w.tolerance)
	}
	return nil
}
