// Package platform is what every function shares: the Function and Route
// types of the registry, configuration from the environment, the error codes
// and their HTTP statuses, strict request decoding, admin authentication,
// health endpoints, request logging and the process lifecycle (Main).
//
// A function package declares one Function; its cmd/main.go calls Main with
// it, and the local all-in-one entrypoint calls Main with all of them.
package platform
