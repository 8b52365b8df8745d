package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"seckill/functions/auth"
	"seckill/redislib/sale"
)

func TestAdmissionConfig(t *testing.T) {
	t.Parallel()
	if _, err := auth.NewAdmissions(auth.AdmissionConfig{}); !errors.Is(err, auth.ErrAdmissionSecretMissing) {
		t.Fatalf("no secret: %v, want ErrAdmissionSecretMissing", err)
	}
	if err := (auth.AdmissionConfig{AdmissionSecret: "short"}).Check(); err == nil || strings.Contains(err.Error(), "short") {
		t.Fatalf("short secret: %v, want an error without the secret", err)
	}
	if err := (auth.AdmissionConfig{}).Check(); err != nil {
		t.Fatalf("no secret is not a configuration error by itself: %v", err)
	}
}

// TestAdmissionTokens: each way a token can be wrong is refused with
// admission_required and a message saying which.
func TestAdmissionTokens(t *testing.T) {
	t.Parallel()
	adm, err := auth.NewAdmissions(auth.AdmissionConfig{AdmissionSecret: strings.Repeat("k", 32)})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := auth.NewAdmissions(auth.AdmissionConfig{AdmissionSecret: strings.Repeat("o", 32)})
	issue := func(a *auth.Admissions, user, activity string, ttl time.Duration) string {
		s, err := a.Issue(user, activity, time.Now().Add(ttl))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := issue(adm, "alice", "act1", time.Minute)
	tests := []struct {
		name, token, user, activity, want string
	}{
		{"valid", good, "alice", "act1", ""},
		{"missing", "", "alice", "act1", "admitted users"},
		{"malformed", "abc", "alice", "act1", "not a valid"},
		{"tampered", good[:len(good)-2] + "xx", "alice", "act1", "signature"},
		{"other secret", issue(other, "alice", "act1", time.Minute), "alice", "act1", "signature"},
		{"expired", issue(adm, "alice", "act1", -time.Second), "alice", "act1", "expired"},
		{"other user", good, "bob", "act1", "another user"},
		{"other activity", good, "alice", "act2", "another activity"},
	}
	for _, tt := range tests {
		err := adm.Verify(tt.token, tt.user, tt.activity)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if sale.ErrorCode(err) != sale.CodeAdmissionRequired || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want admission_required saying %q", tt.name, err, tt.want)
		}
	}
}
