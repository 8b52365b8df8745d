package createproduct

import (
	"seckill/redislib/sale"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzValidate checks that validate either refuses with a coded 4xx or
// returns a product that keeps every documented limit.
func FuzzValidate(f *testing.F) {
	f.Add("Phone", "A phone", true, int64(19900))
	f.Add("", "", false, int64(0))
	f.Add("a\x00b", "ok", true, int64(1))
	f.Add("ok", "\xff", true, int64(1))
	f.Add("ok", "", true, int64(-1))
	f.Add("ok", "", true, int64(sale.MaxPrice+1))
	f.Add("\u202eevil", "multi\nline\ttext", true, int64(sale.MaxPrice))
	f.Fuzz(func(t *testing.T, name, desc string, hasDesc bool, price int64) {
		req := request{Name: &name, Price: &price}
		if hasDesc {
			req.Description = &desc
		}
		in, err := validate(req)
		if err != nil {
			code := sale.ErrorCode(err)
			if code != sale.CodeInvalidName && code != sale.CodeInvalidDescription && code != sale.CodeInvalidPrice {
				t.Fatalf("validate(%q, %q, %d) = %v, want a name, description or price error", name, desc, price, err)
			}
			return
		}
		mustText(t, in.Name, 1, sale.MaxNameLen)
		mustText(t, in.Description, 0, sale.MaxDescriptionLen)
		if in.Price < 0 || in.Price > sale.MaxPrice {
			t.Fatalf("accepted price %d", in.Price)
		}
		if !hasDesc && in.Description != "" {
			t.Fatalf("description %q without one in the request", in.Description)
		}
	})
}

func mustText(t *testing.T, s string, minLen, maxLen int) {
	t.Helper()
	if n := utf8.RuneCountInString(s); !utf8.ValidString(s) || n < minLen || n > maxLen {
		t.Fatalf("accepted %q", s)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			t.Fatalf("accepted %q with control character %U", s, r)
		}
	}
}
