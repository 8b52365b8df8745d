package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"seckill/redislib/draworder"
)

// Draw is what the check needs: the published draw, all its winners and all
// its entrants.
type Draw struct {
	ActivityID string   `json:"activity_id"`
	Status     string   `json:"status"`
	SeedHash   string   `json:"seed_hash"`
	Seed       string   `json:"seed"`
	Entries    int64    `json:"entries"`
	Awarded    int64    `json:"awarded"`
	Winners    []Winner `json:"winners"`
	Entrants   []string `json:"entrants"`
}

// Winner is one entrant the draw gave a unit, at its position in the order.
type Winner struct {
	Position int64  `json:"position"`
	UserID   string `json:"user_id"`
}

// Verify checks d and returns a short report. wantHash, when not empty, is
// the seed_hash the checker recorded before the draw.
func Verify(d Draw, wantHash string) (string, error) {
	if d.Status != "done" {
		return "", fmt.Errorf("the draw is %q, not done: its seed is not published yet", d.Status)
	}
	seed, err := draworder.ParseSeed(d.Seed)
	if err != nil {
		return "", err
	}
	if got := draworder.SeedHash(seed); got != d.SeedHash {
		return "", fmt.Errorf("SHA-256(seed) = %s, but the published seed_hash is %s", got, d.SeedHash)
	}
	if wantHash != "" && wantHash != d.SeedHash {
		return "", fmt.Errorf("the draw's seed_hash %s is not the one published before the draw, %s", d.SeedHash, wantHash)
	}
	if int64(len(d.Entrants)) != d.Entries {
		return "", fmt.Errorf("%d entrants listed, but the draw counts %d entries", len(d.Entrants), d.Entries)
	}
	seen := make(map[string]bool, len(d.Entrants))
	for _, u := range d.Entrants {
		if seen[u] {
			return "", fmt.Errorf("entrant %q is listed twice", u)
		}
		seen[u] = true
	}
	order := draworder.Order(seed, d.Entrants)
	if int64(len(d.Winners)) != d.Awarded {
		return "", fmt.Errorf("%d winners listed, but the draw counts %d", len(d.Winners), d.Awarded)
	}
	for i, w := range d.Winners {
		if w.Position != int64(i) {
			return "", fmt.Errorf("winner %d (%s) is at position %d: the winners are not the front of the order", i, w.UserID, w.Position)
		}
		if w.Position >= int64(len(order)) || order[w.Position] != w.UserID {
			return "", fmt.Errorf("position %d: the draw awarded %s, the recomputed order has %s", w.Position, w.UserID, at(order, w.Position))
		}
	}
	return fmt.Sprintf("OK: activity %s, SHA-256(seed) = seed_hash %s; %d entrants; the %d winners are positions 0..%d of the order recomputed from the seed",
		d.ActivityID, d.SeedHash, len(d.Entrants), len(d.Winners), len(d.Winners)-1), nil
}

func at(order []string, i int64) string {
	if i < int64(len(order)) {
		return order[i]
	}
	return "nobody"
}

// client reads a draw from the public API.
type client struct {
	base string
	http *http.Client
}

func (c *client) get(path string, v any) error {
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return json.Unmarshal(body, v)
}

// fetch reads every page of the draw's winners and entrants.
func (c *client) fetch(activityID string) (Draw, error) {
	var d Draw
	cursor := ""
	for {
		var p struct {
			Draw
			NextCursor *string `json:"next_cursor"`
		}
		if err := c.get("/activities/"+url.PathEscape(activityID)+"/draw?limit=100&cursor="+url.QueryEscape(cursor), &p); err != nil {
			return Draw{}, err
		}
		winners := append(d.Winners, p.Winners...)
		d, d.Winners = p.Draw, winners
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if d.Status != "done" {
		return d, nil
	}
	d.Entrants = []string{}
	cursor = ""
	for {
		var p struct {
			Items      []string `json:"items"`
			NextCursor *string  `json:"next_cursor"`
		}
		if err := c.get("/activities/"+url.PathEscape(activityID)+"/draw/entrants?limit=100&cursor="+url.QueryEscape(cursor), &p); err != nil {
			return Draw{}, err
		}
		d.Entrants = append(d.Entrants, p.Items...)
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	return d, nil
}
