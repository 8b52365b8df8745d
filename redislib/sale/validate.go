package sale

import (
	"cmp"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the fields of products and activities.
const (
	// MaxPrice is the largest price accepted, in cents (one billion units).
	MaxPrice = 100_000_000_000
	// MaxNameLen and MaxDescriptionLen bound a product's text, in characters.
	MaxNameLen        = 200
	MaxDescriptionLen = 2000
	// DefaultPaymentWindow is the payment window, in seconds, of an activity
	// created without one.
	DefaultPaymentWindow = 900
	// MaxPaymentWindow is the longest payment window, in seconds.
	MaxPaymentWindow = 7 * 86400
	// MaxBuckets is the most stock buckets one activity may be split into.
	MaxBuckets = 64
)

// CheckID validates the ID of a product or activity given as the field name:
// a malformed ID is invalid_id.
func CheckID(name, id string) error {
	if !ValidID(id) {
		return Errorf(CodeInvalidID, "%s must be 1 to %d characters of A-Z a-z 0-9 _", name, MaxIDLen)
	}
	return nil
}

// ParseOrderID checks that the order ID given as the field name is well
// formed (an activity ID, a dash, "s<bucket>-" for a bucket other than 0,
// and 16 lowercase hex characters; see NewOrderID) and returns the ID of its
// activity; a malformed ID is invalid_id.
func ParseOrderID(name, id string) (activityID string, err error) {
	activityID, ok := ActivityOfOrder(id)
	if !ok {
		return "", Errorf(CodeInvalidID, "%s must be an order ID: an activity ID, a dash, optionally s<bucket> and a dash, and 16 lowercase hex characters", name)
	}
	return activityID, nil
}

// CheckUserID validates a user ID (see ValidUserID): a malformed one is
// invalid_user_id.
func CheckUserID(id string) error {
	if !ValidUserID(id) {
		return Errorf(CodeInvalidUserID, "user_id must be 1 to %d characters of A-Z a-z 0-9 and %s", MaxUserIDLen, strings.Join(strings.Split(UserIDPunct, ""), " "))
	}
	return nil
}

// MaxPaymentRefLen is the longest payment reference accepted.
const MaxPaymentRefLen = 128

var (
	paymentRefPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)
	currencyPattern   = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ValidCurrency reports whether s is written as an ISO 4217 code: three
// capital letters.
func ValidCurrency(s string) bool { return currencyPattern.MatchString(s) }

// Validate checks a payment's fields in the order of the confirmation's
// body: payment_ref (1 to MaxPaymentRefLen characters of A-Z a-z 0-9 _ . :
// -, as payment services write references, and safe in a key), order_id,
// amount (0 to MaxPrice cents) and currency (ISO 4217).
func (p Payment) Validate() error {
	if !paymentRefPattern.MatchString(p.Ref) {
		return Errorf(CodeInvalidPaymentRef, "payment_ref must be 1 to %d characters of A-Z a-z 0-9 _ . : -", MaxPaymentRefLen)
	}
	if _, err := ParseOrderID("order_id", p.OrderID); err != nil {
		return err
	}
	if p.Amount < 0 || p.Amount > MaxPrice {
		return Errorf(CodeInvalidAmount, "amount must be an integer number of cents from 0 to %d", MaxPrice)
	}
	if !ValidCurrency(p.Currency) {
		return Errorf(CodeInvalidCurrency, "currency must be an ISO 4217 code such as USD")
	}
	return nil
}

// checkPrice validates a price in cents: 0 to MaxPrice.
func checkPrice(p int64) error {
	if p < 0 || p > MaxPrice {
		return Errorf(CodeInvalidPrice, "price must be an integer number of cents from 0 to %d", MaxPrice)
	}
	return nil
}

// checkStock validates an activity's stock: 1 to MaxStock units.
func checkStock(n int64) error {
	if n < 1 || n > MaxStock {
		return Errorf(CodeInvalidStock, "stock must be an integer from 1 to %d", MaxStock)
	}
	return nil
}

// CheckStockDelta validates a change of stock: not zero, and no larger
// either way than MaxStock. Whether the activity can take it is the
// store's to say (Store.AdjustStock).
func CheckStockDelta(d int64) error {
	if d == 0 || d > MaxStock || d < -MaxStock {
		return Errorf(CodeInvalidDelta, "delta must be a non-zero integer from -%d to %d", MaxStock, MaxStock)
	}
	return nil
}

// checkBuckets validates how many stock buckets an activity is split into:
// 1 to MaxBuckets.
func checkBuckets(n int) error {
	if n < 1 || n > MaxBuckets {
		return Errorf(CodeInvalidShards, "shards must be an integer from 1 to %d", MaxBuckets)
	}
	return nil
}

// checkPaymentWindow validates a payment window: 0 to MaxPaymentWindow seconds.
func checkPaymentWindow(seconds int64) error {
	if seconds < 0 || seconds > MaxPaymentWindow {
		return Errorf(CodeInvalidPaymentWindow, "payment_window must be 0 to %d seconds", MaxPaymentWindow)
	}
	return nil
}

// rfc3339 is the exact shape of an RFC 3339 timestamp. time.Parse alone is
// more lenient: it takes a one-digit hour, and offsets such as +24:60 that
// then print as times that do not parse.
var rfc3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$`)

// ParseTime parses the RFC 3339 timestamp of the field name; anything else
// is invalid_time.
func ParseTime(s, name string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || !rfc3339.MatchString(s) {
		return time.Time{}, Errorf(CodeInvalidTime, "%s must be an RFC 3339 time such as 2030-01-02T15:04:05Z", name)
	}
	return t, nil
}

// checkTimeRange requires an activity to start before it ends.
func checkTimeRange(startsAt, endsAt time.Time) error {
	if !startsAt.Before(endsAt) {
		return Errorf(CodeInvalidTimeRange, "starts_at must be before ends_at")
	}
	return nil
}

// checkText validates free text: minLen to maxLen characters of valid UTF-8
// without control characters other than tab and newline; name is the field,
// code its error code.
func checkText(s, name, code string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(s)
	if n < minLen || n > maxLen {
		return Errorf(code, "%s must be %d to %d characters", name, minLen, maxLen)
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) && r != '\n' && r != '\t' {
			return Errorf(code, "%s must not contain control characters", name)
		}
	}
	return nil
}

func checkName(s string) error {
	return checkText(s, "name", CodeInvalidName, 1, MaxNameLen)
}

func checkDescription(s string) error {
	return checkText(s, "description", CodeInvalidDescription, 0, MaxDescriptionLen)
}

// Validate checks every field of a new product, in the order name,
// description, price, and returns the first rule broken.
func (in NewProduct) Validate() error {
	return cmp.Or(checkName(in.Name), checkDescription(in.Description), checkPrice(in.Price))
}

// Validate checks the fields given (at least one) as on creation, and
// returns the first rule broken.
func (ch ProductChanges) Validate() error {
	if ch == (ProductChanges{}) {
		return Errorf(CodeEmptyUpdate, "give at least one of name, description, price")
	}
	return cmp.Or(ifSet(ch.Name, checkName), ifSet(ch.Description, checkDescription), ifSet(ch.Price, checkPrice))
}

// Validate checks every field of a new activity, in the order product ID,
// stock, price, times, payment window, buckets, admission, and returns the
// first rule broken.
// Whether the product exists and the activity ends in the future are the
// store's to check, atomically with the write (Store.CreateActivity).
func (in NewActivity) Validate() error {
	return cmp.Or(checkProductID(in.ProductID), checkStock(in.Stock), checkPrice(in.Price),
		checkTimeRange(in.StartsAt, in.EndsAt), checkPaymentWindow(in.PaymentWindow), checkBuckets(in.Buckets),
		in.checkNewAdmission(in.StartsAt, in.EndsAt))
}

// Validate checks the fields given (at least one) as on creation, and
// returns the first rule broken. When only one of the times is given, the
// store checks it against the other, stored one (Store.UpdateActivity).
func (ch ActivityChanges) Validate() error {
	if ch == (ActivityChanges{}) {
		return Errorf(CodeEmptyUpdate, "give at least one of product_id, stock, price, starts_at, ends_at, payment_window, admission, queue_opens_at, admit_rate, admission_ttl, registration_opens_at, draw_at")
	}
	var times error
	if ch.StartsAt != nil && ch.EndsAt != nil {
		times = checkTimeRange(*ch.StartsAt, *ch.EndsAt)
	}
	return cmp.Or(ifSet(ch.ProductID, checkProductID), ifSet(ch.Stock, checkStock), ifSet(ch.Price, checkPrice),
		times, ifSet(ch.PaymentWindow, checkPaymentWindow), ch.checkAdmission())
}

func checkProductID(id string) error { return CheckID("product_id", id) }

// ifSet applies check to the value of a field that a change may leave out.
func ifSet[T any](v *T, check func(T) error) error {
	if v == nil {
		return nil
	}
	return check(*v)
}
