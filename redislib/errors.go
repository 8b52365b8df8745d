package redislib

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"seckill/redislib/sale"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// ErrReplicaAck means a write was not confirmed by REDIS_MIN_REPLICA_ACKS
// replicas in time (WAIT). The write may be applied on the primary, exactly
// like a write whose reply timed out, so it is answered 503 and never as
// done: if the primary died now, the write could be lost with it.
var ErrReplicaAck = errors.New("not enough replicas confirmed the write")

// storeErr classifies an error returned by the Redis client. Connection
// failures, timeouts and the server states in which it cannot serve (loading
// the AOF, unable to persist, out of memory, busy with a script) become
// store_unavailable; anything else is returned as it is and ends as an
// internal error.
func storeErr(err error) error {
	if err == nil || sale.ErrorCode(err) != "" {
		return err
	}
	if unavailable(err) {
		return &sale.Error{Code: sale.CodeStoreUnavailable, Message: "the store is unavailable, try again", Err: err}
	}
	return err
}

func unavailable(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &netErr),
		errors.Is(err, ErrReplicaAck):
		return true
	}
	// A server that cannot be verified (TLS) or refuses our credentials is
	// as unusable as an absent one; the cause is logged in full.
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &recordErr) {
		return true
	}
	if unavailableKinds[errorKind(err)] {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// unavailableKinds are the error kinds of a server that cannot serve now
// (loading its data, unable to persist, out of memory, busy with a script, a
// replica or a cluster not ready) or that refuses our credentials.
var unavailableKinds = map[string]bool{
	"LOADING": true, "MISCONF": true, "READONLY": true, "OOM": true, "BUSY": true, "MASTERDOWN": true,
	"TRYAGAIN": true, "CLUSTERDOWN": true, "NOREPLICAS": true, "NOAUTH": true, "WRONGPASS": true,
}

// errorKind returns the kind of an error reply of Redis: its first word, in
// full ("BUSY", "BUSYGROUP", "ERR"), so that one kind is never taken for
// another that starts with the same letters. It is "" when err holds no
// reply of the server.
func errorKind(err error) string {
	var re redis.Error
	if !errors.As(err, &re) {
		return ""
	}
	kind, _, _ := strings.Cut(re.Error(), " ")
	return kind
}
