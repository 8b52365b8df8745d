// Package redislib is the flash-sale store: the Redis client built from
// configuration, the key schema, the Lua scripts that make every state change
// atomic, and the typed operations the functions call.
//
// Redis is the system of record. Every write goes through one Lua script that
// checks everything before it writes anything, reads the clock with TIME, and
// touches only keys of one hash slot, so each script runs unchanged on Redis
// Cluster. See README.md beside this file for the key schema.
package redislib
