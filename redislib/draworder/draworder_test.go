package draworder

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"sort"
	"testing"
)

// The documented function on fixed input: a reimplementation checks itself
// against these values.
func TestKeyVector(t *testing.T) {
	seed := make([]byte, SeedLen)
	for i := range seed {
		seed[i] = byte(i)
	}
	sum := sha256.Sum256(append(slices.Clone(seed), "alice"...))
	if got, want := Key(seed, "alice"), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Key = %s, want %s", got, want)
	}
	if got := SeedHash(seed); got != "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd" {
		t.Fatalf("SeedHash = %s", got)
	}
	if u, ok := UserOf(Member(seed, "a:b")); !ok || u != "a:b" {
		t.Fatalf("UserOf(Member) = %q, %v", u, ok)
	}
	for _, bad := range []string{"", "x:y", Key(seed, "a") + "a"} {
		if _, ok := UserOf(bad); ok {
			t.Fatalf("UserOf(%q) accepted", bad)
		}
	}
}

// The order is the order of the members as Redis sorts them (bytes), and
// duplicates count once.
func TestOrderIsMemberOrder(t *testing.T) {
	seed := make([]byte, SeedLen)
	seed[0] = 7
	users := []string{"bob", "alice", "carol", "dave", "alice", "e", "auth0|x", "a:b"}
	got := Order(seed, users)
	members := make([]string, 0, len(users))
	for _, u := range users {
		members = append(members, Member(seed, u))
	}
	sort.Strings(members)
	members = slices.Compact(members)
	want := make([]string, len(members))
	for i, m := range members {
		want[i], _ = UserOf(m)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Order = %v, want %v", got, want)
	}
	if _, err := ParseSeed(hex.EncodeToString(seed)); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseSeed("abc"); err == nil {
		t.Fatal("short seed accepted")
	}
}

// Over 20,000 seeds, each of 10 entrants is among the first 3 in about 3/10
// of the orders: each count is within 4.5 standard deviations of the
// binomial mean, and the chi-square over the entrants is below its 0.999
// quantile (27.88 with 9 degrees of freedom).
func TestOrderIsFair(t *testing.T) {
	const seeds, stock = 20000, 3
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}
	wins := make([]int, len(users))
	seed := make([]byte, SeedLen)
	for i := range seeds {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
		copy(seed, sum[:])
		for _, u := range Order(seed, users)[:stock] {
			wins[u[1]-'0']++
		}
	}
	p := float64(stock) / float64(len(users))
	mean, sd := seeds*p, math.Sqrt(seeds*p*(1-p))
	chi := 0.0
	for i, w := range wins {
		if math.Abs(float64(w)-mean) > 4.5*sd {
			t.Errorf("%s won %d of %d; expected %.0f ± %.0f", users[i], w, seeds, mean, 4.5*sd)
		}
		chi += (float64(w) - mean) * (float64(w) - mean) / (mean * (1 - p))
	}
	if chi > 27.88 {
		t.Errorf("chi-square %.2f: wins %v", chi, wins)
	}
}
