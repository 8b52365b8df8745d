// Package httpapi is the HTTP plumbing every function shares: the error
// codes and the one table of their HTTP statuses, the error answer, strict
// decoding of request bodies, path and query parameters, request IDs and
// the recovery of panics in handlers.
//
// The rules a field's value must keep (prices, stock, times, IDs) are
// redislib's, beside the types they guard; this package only reads them
// from the request.
package httpapi
