package draworder

import (
	"crypto/sha256"
	"encoding/hex"
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
