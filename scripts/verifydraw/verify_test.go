package main

import (
	"encoding/hex"
	"strings"
	"testing"

	"seckill/redislib/draworder"
)

func sample() Draw {
	seed := make([]byte, draworder.SeedLen)
	seed[3] = 9
	entrants := []string{"a", "b", "c", "d", "e"}
	order := draworder.Order(seed, entrants)
	return Draw{ActivityID: "x", Status: "done", Seed: hex.EncodeToString(seed), SeedHash: draworder.SeedHash(seed),
		Entries: 5, Awarded: 2, Entrants: entrants,
		Winners: []Winner{{0, order[0]}, {1, order[1]}}}
}

func TestVerify(t *testing.T) {
	if r, err := Verify(sample(), sample().SeedHash); err != nil || !strings.HasPrefix(r, "OK") {
		t.Fatalf("a true draw: %q, %v", r, err)
	}
	for _, c := range []struct {
		name string
		edit func(*Draw)
		want string
	}{
		{"not done", func(d *Draw) { d.Status = "running" }, "not done"},
		{"other seed", func(d *Draw) { d.Seed = strings.Repeat("0", 64) }, "SHA-256(seed)"},
		{"bad seed", func(d *Draw) { d.Seed = "zz" }, "hex"},
		{"winner swapped", func(d *Draw) { d.Winners[0].UserID, d.Winners[1].UserID = d.Winners[1].UserID, d.Winners[0].UserID }, "recomputed order"},
		{"entrant missing", func(d *Draw) { d.Entrants = d.Entrants[1:] }, "entrants listed"},
		{"entrant twice", func(d *Draw) { d.Entrants[1] = d.Entrants[0] }, "twice"},
		{"winner skipped", func(d *Draw) { d.Winners[1].Position = 2 }, "front of the order"},
		{"count", func(d *Draw) { d.Awarded = 3 }, "winners listed"},
	} {
		d := sample()
		c.edit(&d)
		if _, err := Verify(d, ""); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := Verify(sample(), strings.Repeat("1", 64)); err == nil {
		t.Error("another commitment accepted")
	}
}
