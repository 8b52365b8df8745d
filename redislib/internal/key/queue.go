package key

// The keys of an activity's waiting room (see redislib/queue.go), in the
// activity's slot {act:ID}, and the index of waiting rooms in {catalog}.

// Queue is a ZSET of the waiting room's places: user -> place.
func Queue(activityID string) string { return activityTag(activityID) + "queue" }

// QueueState is a HASH of the waiting room's state: frontier (places
// admitted, in thousandths), advanced_at (ms), seq (joins after the start),
// sold_out (1 while no unit remains).
func QueueState(activityID string) string { return activityTag(activityID) + "queue:state" }

// QueueAdmitted is a HASH user -> the time (ms) the frontier passed the
// user's place, written on the user's first look once admitted.
func QueueAdmitted(activityID string) string { return activityTag(activityID) + "queue:admitted" }

// QueueLog is a ZSET of the frontier's moves in the last admission_ttl
// seconds: score = whole frontier, member = "<frontier>:<ms>:<units sold>".
func QueueLog(activityID string) string { return activityTag(activityID) + "queue:log" }

// QueuesIndex is a SET of the IDs of queue activities someone joined,
// which the background job walks; it drops those that ended.
func QueuesIndex() string { return catalogTag + "queues" }
