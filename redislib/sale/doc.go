// Package sale is the domain of the flash sale: products, activities (the
// sales), orders and payments, the outcome of a purchase attempt, the rules
// their fields keep, and the error codes of every refusal.
//
// It knows nothing of Redis or HTTP: the store (package redislib) keeps
// these types and enforces the rules that need stored state; the functions
// answer them over HTTP (package functions/httpapi maps each code to a
// status).
package sale
