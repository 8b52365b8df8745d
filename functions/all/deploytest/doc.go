// Package deploytest keeps the container build and the deployments in step
// with the function registry (package all). The deployment files that list
// the functions are generated from the registry (functions/all/gendeploy,
// whose test compares them byte for byte); the tests here check what the
// files mean. Its tests, and nothing else, live here:
//
//   - the Dockerfile is generic (one ARG FUNCTION, no list of functions) and
//     every registry function builds with its exact go build command, as a
//     static binary under 30 MB that serves its own routes and no others;
//   - every binary prints its configuration and routes with -h and --help,
//     and checks its own health with -healthcheck;
//   - deploy/compose.yaml, every rendered variant of deploy/k8s (the
//     default and overlays/) and the gateway routes name every registry
//     function and route, and nothing that is not in the registry;
//   - every function scales: a CPU-based HorizontalPodAutoscaler with sane
//     bounds (purchase widest), a PodDisruptionBudget for the hot ones, pods
//     spread across nodes; its Knative Service runs what its Deployment runs,
//     scaling to zero only when only the operator calls it;
//   - deploy/redis.conf is durable on a real redis-server;
//   - the alerting rules and the Grafana dashboard (deploy/k8s/monitoring)
//     parse with Prometheus's own parsers and read only metrics the
//     functions export, and Compose's observability profile and the
//     Kubernetes monitoring variant scrape every function;
//   - a built binary drains a burst of in-flight purchases on SIGTERM,
//     closes its Redis pool and exits 0, and its shutdown is bounded.
package deploytest
