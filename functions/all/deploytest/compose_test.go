package deploytest

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"seckill/functions/server"
)

// composeInfra are the compose services that are not functions.
var composeInfra = map[string]bool{"redis": true, "gateway": true, "expire-orders-schedule": true}

// loadCompose loads deploy/compose.yaml with the Compose specification's
// own loader (schema validation, interpolation, YAML merge keys), with only
// the given variables set (no .env, nothing from the test's environment).
func loadCompose(t *testing.T, env ...string) (*types.Project, error) {
	t.Helper()
	return loadComposeFile(t, "compose.yaml", env...)
}

// loadComposeFile loads deploy/<file> as loadCompose does.
func loadComposeFile(t *testing.T, file string, env ...string) (*types.Project, error) {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "deploy")
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, file)},
		cli.WithWorkingDirectory(dir), cli.WithEnv(env), cli.WithName("seckill"))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// TestComposeMatchesRegistry checks deploy/compose.yaml against the registry
// in both directions: one service per function, built from the Dockerfile
// with FUNCTION=<its name>, health-checked, on the durable Redis; and no
// service that is neither a registry function nor part of the platform.
func TestComposeMatchesRegistry(t *testing.T) {
	for _, v := range []string{"ADMIN_TOKEN", "REDIS_PASSWORD", "REDIS_ADMIN_PASSWORD"} {
		if _, err := loadCompose(t); err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("compose loads without %s (err %v)", v, err)
		}
	}
	if _, err := loadCompose(t, "ADMIN_TOKEN=compose-test-token", "REDIS_PASSWORD=compose-test-redis-password", "REDIS_ADMIN_PASSWORD=compose-test-redis-admin", "ADMISSION_SECRET=compose-test-admission-secret", "USER_JWKS_URL=https://id.example/jwks.json"); err == nil || !strings.Contains(err.Error(), "PAYMENT_WEBHOOK_SECRET") {
		t.Errorf("compose loads without PAYMENT_WEBHOOK_SECRET (err %v): payments could not be confirmed", err)
	}
	p, err := loadCompose(t, "ADMIN_TOKEN=compose-test-token", "REDIS_PASSWORD=compose-test-redis-password", "REDIS_ADMIN_PASSWORD=compose-test-redis-admin", "ADMISSION_SECRET=compose-test-admission-secret", "USER_JWKS_URL=https://id.example/jwks.json", "PAYMENT_WEBHOOK_SECRET=compose-test-payment-secret")
	if err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	root := repoRoot(t)
	fns := map[string]bool{}
	for name, s := range p.Services {
		if s.Build == nil {
			if !composeInfra[name] {
				t.Errorf("service %s is neither built from the Dockerfile (a function) nor part of the platform", name)
			}
			continue
		}
		fns[name] = true
		arg := s.Build.Args["FUNCTION"]
		if arg == nil || *arg != name {
			t.Errorf("service %s builds FUNCTION=%v, want %s", name, arg, name)
		}
		if s.Build.Context != root || (s.Build.Dockerfile != "" && s.Build.Dockerfile != "Dockerfile") {
			t.Errorf("service %s builds %s/%s, want the repository's Dockerfile", name, s.Build.Context, s.Build.Dockerfile)
		}
		if !strings.HasPrefix(s.Image, "seckill-"+name+":") {
			t.Errorf("service %s image %q, want seckill-%s:<tag>", name, s.Image, name)
		}
		if s.HealthCheck == nil || !slices.Equal(s.HealthCheck.Test, types.HealthCheckTest{"CMD", "/seckill", "-healthcheck"}) {
			t.Errorf("service %s health check %+v, want CMD /seckill -healthcheck", name, s.HealthCheck)
		}
		if v := s.Environment["REDIS_ADDR"]; v == nil || *v != "redis:6379" {
			t.Errorf("service %s REDIS_ADDR %v, want redis:6379", name, v)
		}
		checkComposeFunctionSecrets(t, name, s)
		checkPaymentSecret(t, name, s.Environment["PAYMENT_WEBHOOK_SECRET"], "compose-test-payment-secret")
		for k := range s.Environment {
			if !slices.Contains(envKeys(t), k) {
				t.Errorf("service %s: environment variable %s is not read by the functions (see --help)", name, k)
			}
		}
		if v := s.Environment["USER_AUTH"]; v == nil || *v != "on" {
			t.Errorf("service %s: USER_AUTH %v, want user authentication on", name, v)
		}
		if v := s.Environment["USER_JWKS_URL"]; v == nil || *v != "https://id.example/jwks.json" {
			t.Errorf("service %s does not take USER_JWKS_URL from the environment (%v)", name, v)
		}
		if s.DependsOn["redis"].Condition != types.ServiceConditionHealthy {
			t.Errorf("service %s does not wait for a healthy Redis", name)
		}
		if len(s.Ports) > 0 {
			t.Errorf("service %s publishes ports %v: only the gateway is public", name, s.Ports)
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") {
			t.Errorf("service %s: read_only %v, cap_drop %v; want read-only and ALL dropped", name, s.ReadOnly, s.CapDrop)
		}
	}
	checkSameNames(t, "deploy/compose.yaml services built from the Dockerfile", fns)

	// Redis: Redis 7, deploy/redis.conf, the data on a named volume.
	redis := p.Services["redis"]
	if !strings.HasPrefix(redis.Image, "redis:7") {
		t.Errorf("redis image %s, want Redis 7", redis.Image)
	}
	binds := mountsOf(redis)
	conf := binds[filepath.Join(root, "deploy", "redis.conf")]
	args, ok := redisServerArgs(redis.Command, binds[filepath.Join(root, "deploy", usersScript)])
	if conf == "" || !ok || !slices.Equal(args, []string{"redis-server", conf}) {
		t.Errorf("redis runs %v with mounts %v, want redis-users.sh redis-server with deploy/redis.conf", redis.Command, binds)
	}
	checkComposeRedisUsers(t, "redis", redis)
	var dataOnVolume bool
	for _, v := range redis.Volumes {
		_, declared := p.Volumes[v.Source]
		dataOnVolume = dataOnVolume || v.Type == types.VolumeTypeVolume && v.Target == "/data" && declared
	}
	if !dataOnVolume {
		t.Error("redis /data (where redis.conf puts the AOF) is not a named volume")
	}
	if redis.HealthCheck == nil {
		t.Error("redis has no health check")
	}

	// Gateway: the routes file and static config the Kubernetes gateway uses too.
	gw := p.Services["gateway"]
	binds = mountsOf(gw)
	if binds[filepath.Join(root, filepath.FromSlash(routesFile))] != "/etc/traefik/dynamic/routes.yaml" ||
		binds[filepath.Join(root, "deploy", "k8s", "gateway", "traefik.yaml")] != "/etc/traefik/traefik.yml" {
		t.Errorf("gateway mounts %v, want %s and deploy/k8s/gateway/traefik.yaml", binds, routesFile)
	}
	if len(gw.Ports) != 1 || gw.Ports[0].Target != 8000 {
		t.Errorf("gateway ports %+v, want one published port to 8000", gw.Ports)
	}
	if gw.HealthCheck == nil {
		t.Error("gateway has no health check")
	}

	// The expiry schedule calls the expiry function with the admin token.
	sched := p.Services["expire-orders-schedule"]
	checkExpiryCall(t, "compose expire-orders-schedule", strings.Join(append(sched.Entrypoint, sched.Command...), " "))
	if v := sched.Environment["ADMIN_TOKEN"]; v == nil || *v != "compose-test-token" {
		t.Error("expire-orders-schedule does not take ADMIN_TOKEN from the environment")
	}
}

// checkComposeFunctionSecrets checks a function service's secrets: the
// Redis user and password of the functions, and the admin token only for a
// function that takes it.
func checkComposeFunctionSecrets(t *testing.T, name string, s types.ServiceConfig) {
	t.Helper()
	v := s.Environment["ADMIN_TOKEN"]
	switch admin := takesAdminToken(name); {
	case admin && (v == nil || *v != "compose-test-token"):
		t.Errorf("service %s does not take ADMIN_TOKEN from the environment", name)
	case !admin && v != nil:
		t.Errorf("service %s serves no admin route but is given ADMIN_TOKEN", name)
	}
	if u, p := s.Environment["REDIS_USERNAME"], s.Environment["REDIS_PASSWORD"]; u == nil || *u != "seckill" ||
		p == nil || *p != "compose-test-redis-password" {
		t.Errorf("service %s does not log in to Redis as seckill with REDIS_PASSWORD", name)
	}
}

// checkComposeRedisUsers checks that a Redis service gets what the users
// script needs: the functions' ACL beside it, both passwords, a tmpfs for
// the users file.
func checkComposeRedisUsers(t *testing.T, name string, s types.ServiceConfig) {
	t.Helper()
	root := repoRoot(t)
	binds := mountsOf(s)
	script, acl := binds[filepath.Join(root, "deploy", usersScript)], binds[filepath.Join(root, "deploy", "redis-functions.acl")]
	if script == "" || acl != filepath.Dir(script)+"/redis-functions.acl" {
		t.Errorf("%s mounts %v, want deploy/redis-users.sh with deploy/redis-functions.acl beside it", name, binds)
	}
	for _, v := range []string{"REDIS_PASSWORD", "REDIS_ADMIN_PASSWORD"} {
		if s.Environment[v] == nil || *s.Environment[v] == "" {
			t.Errorf("%s: no %s for the users script", name, v)
		}
	}
	if !slices.Contains(s.Tmpfs, "/run/redis") {
		t.Errorf("%s: tmpfs %v, want /run/redis (the users file is not on a volume)", name, s.Tmpfs)
	}
}

// mountsOf returns the service's bind mounts, source -> target.
func mountsOf(s types.ServiceConfig) map[string]string {
	m := map[string]string{}
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind {
			m[v.Source] = v.Target
		}
	}
	return m
}

// checkPaymentSecret checks that the function name gets the payment webhook
// secret (as want) if it confirms payments, and that no other does.
func checkPaymentSecret(t *testing.T, name string, got *string, want string) {
	t.Helper()
	fn, _ := registryFunction(name)
	pays := slices.ContainsFunc(fn.Routes, func(r server.Route) bool { return r.Payment })
	switch {
	case pays && (got == nil || *got != want):
		t.Errorf("%s confirms payments but PAYMENT_WEBHOOK_SECRET is %v, want %q", name, got, want)
	case !pays && got != nil:
		t.Errorf("%s holds PAYMENT_WEBHOOK_SECRET but confirms no payment", name)
	}
}
