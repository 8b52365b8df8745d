// Package redislib is the flash-sale store: the Redis client built from
// configuration, the auto-pipeline that shares round trips (and on a
// cluster routes each command to its slot's primary), the Lua scripts that
// make every state change atomic, and the typed operations the functions
// call. The domain it stores (products, activities, orders, their rules and
// error codes) is package redislib/sale; its keys are built in
// redislib/internal/key.
//
// Redis is the system of record. Every change of a sale is a Lua script
// that checks everything before it writes anything, reads the clock with
// TIME, and touches only keys of one hash slot, so each script runs
// unchanged on Redis Cluster. See README.md beside this file for the map of
// the packages and lua/README.md for the scripts' rules.
package redislib
