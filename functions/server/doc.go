// Package server runs functions: the Function and Route types of the
// registry, the configuration read from the environment, the app that
// serves a set of functions with their shared middleware (request IDs,
// metrics, traces, request logs, panic recovery, authentication, rate
// limits), the health endpoints and the process lifecycle (Main).
//
// A function package declares one Function; its cmd/main.go calls Main with
// it, and the local all-in-one entrypoint calls Main with all of them.
package server
