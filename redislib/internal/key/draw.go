package key

// The keys of an activity's draw (see redislib/draw.go), in the activity's
// slot {act:ID}.

// DrawEntries is a SET of the user IDs entered in an activity's draw.
func DrawEntries(activityID string) string { return activityTag(activityID) + "entries" }

// DrawOrder is a ZSET of every entry as "<key>:<user id>", all scored 0:
// Redis orders it by member, which is the draw order (see draworder).
func DrawOrder(activityID string) string { return activityTag(activityID) + "draw:order" }

// DrawState is a HASH of the draw job's progress: phase (hashing,
// awarding), scan_cursor (SSCAN cursor over the entries), award_cursor (the
// next position to award), entries (their number once ranked), started_at,
// ranked_at and done_at (ms).
func DrawState(activityID string) string { return activityTag(activityID) + "draw:state" }

// DrawLock is a STRING holding the token of the one process running the
// activity's draw, with a TTL (see lua/draw_lock.lua).
func DrawLock(activityID string) string { return activityTag(activityID) + "draw:lock" }

// DrawWinners is a ZSET of the entrants the draw gave a unit, scored by
// their position in the draw order.
func DrawWinners(activityID string) string { return activityTag(activityID) + "draw:winners" }
