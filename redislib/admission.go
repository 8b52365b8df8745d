package redislib

import (
	"fmt"
	"seckill/redislib/sale"
	"time"
)

// purchaseAdmissionRequired is purchase.lua's reply for
// sale.OutcomeAdmissionRequired.
const purchaseAdmissionRequired = 11

// admissionArgs returns the hash fields (name, value pairs) that a new
// activity with settings s stores beside admission, the seed included for a
// draw.
func admissionArgs(s sale.AdmissionSettings) []any {
	var out []any
	switch s.Admission {
	case sale.AdmissionQueue:
		ttl := int64(sale.DefaultAdmissionTTL)
		if s.AdmissionTTL != nil {
			ttl = *s.AdmissionTTL
		}
		out = append(out, "queue_opens_at", s.QueueOpensAt.UnixMilli(), "admit_rate", *s.AdmitRate, "admission_ttl", ttl)
	case sale.AdmissionDraw:
		seed, hash := sale.NewSeed()
		out = append(out, "registration_opens_at", s.RegistrationOpensAt.UnixMilli(), "draw_at", s.DrawAt.UnixMilli(),
			"seed", seed, "seed_hash", hash, "draw_status", sale.DrawPending)
	}
	return out
}

// admissionFromHash reads the admission part of an activity hash at Redis
// time now (ms): the seed's commitment and the seed are shown only from the
// moments they may be.
func admissionFromHash(h map[string]string, now int64) sale.AdmissionInfo {
	info := sale.AdmissionInfo{Admission: h["admission"]}
	msPtr := func(field string) *time.Time {
		if _, ok := h[field]; !ok {
			return nil
		}
		t := msTime(hashInt(h, field))
		return &t
	}
	switch info.Admission {
	case sale.AdmissionQueue:
		info.QueueOpensAt = msPtr("queue_opens_at")
		info.AdmitRate = hashInt(h, "admit_rate")
		info.AdmissionTTL = hashInt(h, "admission_ttl")
	case sale.AdmissionDraw:
		info.RegistrationOpensAt = msPtr("registration_opens_at")
		info.DrawAt = msPtr("draw_at")
		info.DrawStatus = h["draw_status"]
		if now >= hashInt(h, "registration_opens_at") {
			info.SeedHash = h["seed_hash"]
		}
		if info.DrawStatus == sale.DrawDone {
			info.Seed = h["seed"]
		}
	default:
		info.Admission = sale.AdmissionOpen
	}
	return info
}

// optAdmissionArgs returns the ARGV of activity_update.lua's admission
// settings (ARGV[9..16]): each value or ” to keep, then a fresh seed and its
// hash, used only if the change makes the activity a draw.
func optAdmissionArgs(s sale.AdmissionSettings) []any {
	seed, hash := sale.NewSeed()
	return []any{s.Admission, optTime(s.QueueOpensAt), optInt(s.AdmitRate), optInt(s.AdmissionTTL),
		optTime(s.RegistrationOpensAt), optTime(s.DrawAt), seed, hash}
}

// admissionUpdateError turns activity_update.lua's refusals of the admission
// settings (codes 9 to 11) into their errors.
func admissionUpdateError(code int64, reply []any) error {
	text := ""
	if len(reply) >= 2 {
		text = asString(reply[1])
	}
	switch {
	case text == "":
		return fmt.Errorf("activity_update: unexpected reply %v", reply)
	case code == activityUpdateMissing:
		return sale.Errorf(sale.CodeMissingSetting, "%s is required with the activity's admission mode", text)
	case code == activityUpdateTimeOrder:
		return sale.Errorf(sale.CodeInvalidTimeRange, "%s", text)
	case len(reply) == 3 && asString(reply[2]) != "":
		return sale.Errorf(sale.CodeInvalidAdmission, "%s is not a setting of admission %s", text, asString(reply[2]))
	default:
		return fmt.Errorf("activity_update: unexpected reply %v", reply)
	}
}
