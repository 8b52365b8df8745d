package redistest

import (
	"time"

	"seckill/redislib/sale"
)

// Queue makes the activity a waiting room that opens for joining opensIn
// from now and admits rate users per second (admission_ttl: the default).
func Queue(opensIn time.Duration, rate int64) ActivityOption {
	return func(a *sale.NewActivity) {
		at := time.Now().Add(opensIn)
		a.Admission, a.QueueOpensAt, a.AdmitRate = sale.AdmissionQueue, &at, &rate
	}
}

// Draw makes the activity a draw whose registration opens registrationIn
// from now and whose draw runs drawIn from now.
func Draw(registrationIn, drawIn time.Duration) ActivityOption {
	return func(a *sale.NewActivity) {
		opens, draw := time.Now().Add(registrationIn), time.Now().Add(drawIn)
		a.Admission, a.RegistrationOpensAt, a.DrawAt = sale.AdmissionDraw, &opens, &draw
	}
}
