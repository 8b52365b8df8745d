package deploytest

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"seckill/functions/server"
)

// Minimal shapes of the Kubernetes objects the deployment uses, enough to
// check what matters; decoded from kustomize's rendered output.
type (
	objectMeta struct {
		Name      string            `yaml:"name"`
		Namespace string            `yaml:"namespace"`
		Labels    map[string]string `yaml:"labels"`
	}
	k8sObject struct {
		APIVersion string     `yaml:"apiVersion"`
		Kind       string     `yaml:"kind"`
		Metadata   objectMeta `yaml:"metadata"`
		node       yaml.Node
	}
	envVar struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	}
	envFromSource struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	}
	probe struct {
		PeriodSeconds int `yaml:"periodSeconds"`
		HTTPGet       *struct {
			Path string `yaml:"path"`
			Port string `yaml:"port"`
		} `yaml:"httpGet"`
		TCPSocket *struct {
			Port string `yaml:"port"`
		} `yaml:"tcpSocket"`
		Exec *struct {
			Command []string `yaml:"command"`
		} `yaml:"exec"`
	}
	container struct {
		Name            string   `yaml:"name"`
		Image           string   `yaml:"image"`
		ImagePullPolicy string   `yaml:"imagePullPolicy"`
		Command         []string `yaml:"command"`
		Args            []string `yaml:"args"`
		Ports           []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env            []envVar        `yaml:"env"`
		EnvFrom        []envFromSource `yaml:"envFrom"`
		LivenessProbe  *probe          `yaml:"livenessProbe"`
		ReadinessProbe *probe          `yaml:"readinessProbe"`
		StartupProbe   *probe          `yaml:"startupProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		Lifecycle       *struct{} `yaml:"lifecycle"`
		SecurityContext struct {
			RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
	podSpec struct {
		SecurityContext struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
			RunAsUser    *int  `yaml:"runAsUser"`
		} `yaml:"securityContext"`
		TerminationGracePeriodSeconds *int                       `yaml:"terminationGracePeriodSeconds"`
		TopologySpreadConstraints     []topologySpreadConstraint `yaml:"topologySpreadConstraints"`
		Containers                    []container                `yaml:"containers"`
		Volumes                       []struct {
			Name      string `yaml:"name"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
		} `yaml:"volumes"`
	}
	topologySpreadConstraint struct {
		MaxSkew           int    `yaml:"maxSkew"`
		TopologyKey       string `yaml:"topologyKey"`
		WhenUnsatisfiable string `yaml:"whenUnsatisfiable"`
		LabelSelector     struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"labelSelector"`
	}
	podTemplate struct {
		Metadata objectMeta `yaml:"metadata"`
		Spec     podSpec    `yaml:"spec"`
	}
	workload struct { // Deployment, StatefulSet
		Spec struct {
			Replicas            *int   `yaml:"replicas"`
			ServiceName         string `yaml:"serviceName"`
			PodManagementPolicy string `yaml:"podManagementPolicy"`
			Selector            struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Template             podTemplate `yaml:"template"`
			VolumeClaimTemplates []struct {
				Metadata objectMeta `yaml:"metadata"`
			} `yaml:"volumeClaimTemplates"`
		} `yaml:"spec"`
	}
	service struct {
		Spec struct {
			ClusterIP                string            `yaml:"clusterIP"`
			PublishNotReadyAddresses bool              `yaml:"publishNotReadyAddresses"`
			Selector                 map[string]string `yaml:"selector"`
			Ports                    []struct {
				Name       string `yaml:"name"`
				Port       int    `yaml:"port"`
				TargetPort string `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	cronJob struct {
		Spec struct {
			Schedule    string `yaml:"schedule"`
			JobTemplate struct {
				Spec struct {
					Template podTemplate `yaml:"template"`
				} `yaml:"spec"`
			} `yaml:"jobTemplate"`
		} `yaml:"spec"`
	}
	ingress struct {
		Spec struct {
			Rules []struct {
				HTTP struct {
					Paths []struct {
						Path    string `yaml:"path"`
						Backend struct {
							Service struct {
								Name string `yaml:"name"`
								Port struct {
									Name string `yaml:"name"`
								} `yaml:"port"`
							} `yaml:"service"`
						} `yaml:"backend"`
					} `yaml:"paths"`
				} `yaml:"http"`
			} `yaml:"rules"`
		} `yaml:"spec"`
	}
	configMap struct {
		Data map[string]string `yaml:"data"`
	}
)

// renderKustomization builds the kustomization in dir (relative to the
// repository's root) with kustomize, as kubectl apply -k does, and returns
// its objects by kind and name. The kind of an object outside Kubernetes'
// own API groups is qualified by its group: "Service.serving.knative.dev".
func renderKustomization(t *testing.T, dir string) map[string]map[string]k8sObject {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(repoRoot(t), filepath.FromSlash(dir)))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := resMap.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]map[string]k8sObject{}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var o k8sObject
		if err := dec.Decode(&o.node); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if err := o.node.Decode(&o); err != nil {
			t.Fatal(err)
		}
		kind := o.Kind
		if group, _, ok := strings.Cut(o.APIVersion, "/"); ok && strings.Contains(group, ".") && !strings.HasSuffix(group, ".k8s.io") {
			kind += "." + group
		}
		if objs[kind] == nil {
			objs[kind] = map[string]k8sObject{}
		}
		if _, dup := objs[kind][o.Metadata.Name]; dup {
			t.Errorf("%s: two %s named %s", dir, kind, o.Metadata.Name)
		}
		objs[kind][o.Metadata.Name] = o
	}
	return objs
}

// knativeService is the kind of a Knative Service in renderKustomization's map.
const knativeService = "Service.serving.knative.dev"

// k8sVariant is one kustomization of deploy/k8s that kubectl apply -k takes.
type k8sVariant struct {
	Dir     string
	Knative bool // the functions are Knative Services, not Deployments
	Cluster bool // Redis Cluster, not one Redis
}

// k8sVariants are every kustomization a user applies; deploy/k8s/README.md
// documents each.
var k8sVariants = []k8sVariant{
	{Dir: "deploy/k8s"},
	{Dir: "deploy/k8s/overlays/redis-cluster", Cluster: true},
	{Dir: "deploy/k8s/overlays/knative", Knative: true},
	{Dir: "deploy/k8s/overlays/knative-redis-cluster", Knative: true, Cluster: true},
	{Dir: "deploy/k8s/overlays/monitoring"},
}

// redisEnv is what a function's environment says of Redis in the variant.
func (v k8sVariant) redisEnv() map[string]string {
	if v.Cluster {
		return map[string]string{"REDIS_CLUSTER": "true", "REDIS_ADDR": clusterSeeds}
	}
	return map[string]string{"REDIS_ADDR": "redis:6379"}
}

// clusterSeeds is REDIS_ADDR on the Kubernetes Redis Cluster: every pod of
// the StatefulSet redis-cluster by its DNS name.
const clusterSeeds = "redis-cluster-0.redis-cluster:6379,redis-cluster-1.redis-cluster:6379,redis-cluster-2.redis-cluster:6379," +
	"redis-cluster-3.redis-cluster:6379,redis-cluster-4.redis-cluster:6379,redis-cluster-5.redis-cluster:6379"

// containerEnv returns the container's environment as the kubelet builds it:
// the ConfigMaps of envFrom (which must be in objs), then env. A variable
// from a Secret has the value "secret:<name>/<key>".
func containerEnv(t *testing.T, where string, objs map[string]map[string]k8sObject, c container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			t.Errorf("%s: envFrom %+v, want ConfigMaps only", where, from)
			continue
		}
		cm, ok := objs["ConfigMap"][from.ConfigMapRef.Name]
		if !ok {
			t.Errorf("%s: envFrom ConfigMap %s, which the kustomization does not make", where, from.ConfigMapRef.Name)
			continue
		}
		for k, v := range as[configMap](t, cm).Data {
			env[k] = v
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		default:
			env[e.Name] = e.Value
		}
	}
	return env
}

// as decodes the object into one of the shapes above.
func as[T any](t *testing.T, o k8sObject) T {
	t.Helper()
	var v T
	if err := o.node.Decode(&v); err != nil {
		t.Fatalf("%s %s: %v", o.Kind, o.Metadata.Name, err)
	}
	return v
}

// Objects of the deployment that are not functions.
var k8sInfra = map[string]map[string]bool{
	"Deployment": {"gateway": true},
	"Service":    {"gateway": true, "redis": true, "redis-cluster": true},
}

// TestKustomizationMatchesRegistry renders every variant of deploy/k8s and
// checks it against the registry in both directions: one Deployment and one
// Service per function (or one Knative Service per function in the Knative
// variants), each fully set up (probes, resources, non-root read-only
// security context, the admin token from the Secret, the variant's Redis
// address), and no function object that the registry does not have.
func TestKustomizationMatchesRegistry(t *testing.T) {
	for _, v := range k8sVariants {
		t.Run(v.Dir, func(t *testing.T) {
			objs := renderKustomization(t, v.Dir)
			kinds := []string{"Deployment", "Service"}
			if v.Knative {
				kinds = []string{knativeService}
				for _, kind := range []string{"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} {
					for name, o := range objs[kind] {
						if o.Metadata.Labels["app.kubernetes.io/component"] == "function" {
							t.Errorf("%s %s of a function beside the Knative Services", kind, name)
						}
					}
				}
			}
			for _, kind := range kinds {
				names := map[string]bool{}
				for name, o := range objs[kind] {
					isFn := o.Metadata.Labels["app.kubernetes.io/component"] == "function"
					if !isFn && !k8sInfra[kind][name] {
						t.Errorf("%s %s is neither a function (label app.kubernetes.io/component=function) nor part of the platform", kind, name)
					}
					if isFn {
						names[name] = true
					}
				}
				checkSameNames(t, v.Dir+" "+kind+"s", names)
			}

			for name, o := range objs["Deployment"] {
				if k8sInfra["Deployment"][name] {
					continue
				}
				d := as[workload](t, o)
				checkFunctionDeployment(t, v, objs, name, d)
				svcObj, ok := objs["Service"][name]
				if !ok {
					continue // reported above
				}
				svc := as[service](t, svcObj)
				if !selects(svc.Spec.Selector, d.Spec.Template.Metadata.Labels) {
					t.Errorf("Service %s selector %v does not select its Deployment's pods %v", name, svc.Spec.Selector, d.Spec.Template.Metadata.Labels)
				}
				if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 8080 || svc.Spec.Ports[0].TargetPort != "http" {
					t.Errorf("Service %s ports %+v, want 8080 -> http (the gateway routes to http://%s:8080)", name, svc.Spec.Ports, name)
				}
			}
			for _, o := range objs {
				for _, obj := range o {
					if obj.Kind != "Namespace" && obj.Metadata.Namespace != "seckill" {
						t.Errorf("%s %s in namespace %q, want seckill", obj.Kind, obj.Metadata.Name, obj.Metadata.Namespace)
					}
				}
			}
		})
	}
}

func checkFunctionDeployment(t *testing.T, v k8sVariant, objs map[string]map[string]k8sObject, name string, d workload) {
	t.Helper()
	if d.Spec.Replicas != nil {
		t.Errorf("Deployment %s: replicas %d, want none: its HorizontalPodAutoscaler owns them", name, *d.Spec.Replicas)
	}
	if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) || d.Spec.Selector.MatchLabels["app.kubernetes.io/name"] != name {
		t.Errorf("Deployment %s: selector %v does not select its pods %v by name", name, d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)
	}
	pod := d.Spec.Template.Spec
	if pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("Deployment %s: pod does not set runAsNonRoot", name)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("Deployment %s: %d containers, want 1", name, len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8080 {
		t.Errorf("Deployment %s: ports %+v, want http 8080", name, c.Ports)
	}
	checkHTTPProbe(t, name, "liveness", c.LivenessProbe, "/livez", "http")
	checkHTTPProbe(t, name, "readiness", c.ReadinessProbe, "/readyz", "http")
	checkHTTPProbe(t, name, "startup", c.StartupProbe, "/livez", "http")
	if c.Lifecycle == nil {
		t.Errorf("Deployment %s: no preStop (the pod would stop before it leaves the endpoints)", name)
	}
	checkFunctionContainer(t, v, objs, "Deployment "+name, name, c)
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g <= 15 {
		t.Errorf("Deployment %s: terminationGracePeriodSeconds %v, want more than preStop + SHUTDOWN_TIMEOUT (15 s)", name, g)
	}
}

// checkFunctionContainer checks what a function's container has in every
// variant: its image, resources, a read-only unprivileged security context,
// the admin token from the Secret, the variant's Redis address, and only
// variables the functions read.
func checkFunctionContainer(t *testing.T, v k8sVariant, objs map[string]map[string]k8sObject, where, name string, c container) {
	t.Helper()
	if c.Image != "seckill-"+name {
		t.Errorf("%s: image %q, want seckill-%s (built with FUNCTION=%s)", where, c.Image, name, name)
	}
	for _, res := range []string{"cpu", "memory"} {
		if c.Resources.Requests[res] == "" {
			t.Errorf("%s: no %s request", where, res)
		}
	}
	if c.Resources.Limits["memory"] == "" {
		t.Errorf("%s: no memory limit", where)
	}
	sc := c.SecurityContext
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		!slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("%s: container securityContext %+v, want read-only root, no privilege escalation, drop ALL", where, sc)
	}
	env := containerEnv(t, where, objs, c)
	switch admin := takesAdminToken(name); {
	case admin && env["ADMIN_TOKEN"] != "secret:seckill-admin/ADMIN_TOKEN":
		t.Errorf("%s: ADMIN_TOKEN is %q, want it from Secret seckill-admin key ADMIN_TOKEN", where, env["ADMIN_TOKEN"])
	case !admin && env["ADMIN_TOKEN"] != "":
		t.Errorf("%s serves no admin route but is given ADMIN_TOKEN (%q)", where, env["ADMIN_TOKEN"])
	}
	if env["REDIS_USERNAME"] != "seckill" || env["REDIS_PASSWORD"] != "secret:seckill-redis/REDIS_PASSWORD" {
		t.Errorf("%s: REDIS_USERNAME %q, REDIS_PASSWORD %q; want seckill and Secret seckill-redis key REDIS_PASSWORD",
			where, env["REDIS_USERNAME"], env["REDIS_PASSWORD"])
	}
	var paymentSecret *string
	if v, ok := env["PAYMENT_WEBHOOK_SECRET"]; ok {
		paymentSecret = &v
	}
	checkPaymentSecret(t, name, paymentSecret, "secret:seckill-payment/PAYMENT_WEBHOOK_SECRET")
	for k, want := range v.redisEnv() {
		if env[k] != want {
			t.Errorf("%s: %s %q, want %q", where, k, env[k], want)
		}
	}
	if env["USER_AUTH"] != "on" {
		t.Errorf("%s: USER_AUTH %q, want user authentication on", where, env["USER_AUTH"])
	}
	if !v.Cluster {
		if _, ok := env["REDIS_CLUSTER"]; ok {
			t.Errorf("%s: REDIS_CLUSTER set on the single Redis", where)
		}
	}
	known := envKeys(t)
	for k := range env {
		if !slices.Contains(known, k) {
			t.Errorf("%s: environment variable %s is not read by the functions (see --help)", where, k)
		}
	}
}

func checkHTTPProbe(t *testing.T, name, kind string, p *probe, path, port string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port != port {
		t.Errorf("%s: %s probe %+v, want GET %s on port %q", name, kind, p, path, port)
	}
}

// selects reports whether every selector label is on the pod.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestKustomizationRedisIsDurableAndSingle checks the Redis StatefulSet: one
// replica, the AOF on a PersistentVolumeClaim, the durable config (the same
// as deploy/redis.conf) mounted and used, and the Service the functions use.
func TestKustomizationRedisIsDurableAndSingle(t *testing.T) {
	objs := renderKustomization(t, "deploy/k8s")
	o, ok := objs["StatefulSet"]["redis"]
	if !ok {
		t.Fatal("no StatefulSet redis")
	}
	s := as[workload](t, o)
	if s.Spec.Replicas == nil || *s.Spec.Replicas != 1 {
		t.Errorf("Redis replicas %v, want exactly 1: it is the single writer", s.Spec.Replicas)
	}
	if s.Spec.ServiceName != "redis" {
		t.Errorf("serviceName %q, want redis", s.Spec.ServiceName)
	}
	if len(s.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("%d volumeClaimTemplates, want 1", len(s.Spec.VolumeClaimTemplates))
	}
	pod := s.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if !strings.HasPrefix(c.Image, "redis:7") {
		t.Errorf("image %s, want Redis 7", c.Image)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	if mounts[s.Spec.VolumeClaimTemplates[0].Metadata.Name] != "/data" {
		t.Errorf("the PersistentVolumeClaim is not mounted at /data (the dir of redis.conf): %v", mounts)
	}
	want := string(readFile(t, "deploy/redis.conf"))
	var confMounted bool
	for _, v := range pod.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		cm := as[configMap](t, objs["ConfigMap"][v.ConfigMap.Name])
		if cm.Data["redis.conf"] != want {
			t.Errorf("ConfigMap %s redis.conf differs from deploy/redis.conf", v.ConfigMap.Name)
		}
		for _, file := range []string{usersScript, "redis-functions.acl"} {
			if cm.Data[file] != string(readFile(t, "deploy/"+file)) {
				t.Errorf("ConfigMap %s %s differs from deploy/%s", v.ConfigMap.Name, file, file)
			}
		}
		if server, ok := redisServerArgs(c.Command, mounts[v.Name]+"/"+usersScript); !ok || len(server) < 2 || server[1] != mounts[v.Name]+"/redis.conf" {
			t.Errorf("command %v does not start redis-server with %s/redis.conf through %s", c.Command, mounts[v.Name], usersScript)
		}
		confMounted = true
	}
	if !confMounted {
		t.Error("no ConfigMap with redis.conf is mounted")
	}
	if c.ReadinessProbe == nil || c.LivenessProbe == nil {
		t.Error("Redis has no readiness or liveness probe")
	}
	svc := as[service](t, objs["Service"]["redis"])
	if !selects(svc.Spec.Selector, s.Spec.Template.Metadata.Labels) || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 6379 {
		t.Errorf("Service redis %+v does not expose the StatefulSet's pod on 6379", svc.Spec)
	}
}

// TestKustomizationGatewayAndIngress checks the routing chain of every
// variant: the Ingress sends every path to the gateway Service, whose pods
// run Traefik with the same routes file as compose (from a ConfigMap; the
// Knative variants' own routes file) on the port the Service targets.
func TestKustomizationGatewayAndIngress(t *testing.T) {
	for _, v := range k8sVariants {
		t.Run(v.Dir, func(t *testing.T) {
			routes := routesFile
			if v.Knative {
				routes = knativeRoutesFile
			}
			checkGatewayAndIngress(t, renderKustomization(t, v.Dir), routes)
		})
	}
}

func checkGatewayAndIngress(t *testing.T, objs map[string]map[string]k8sObject, routesFile string) {
	t.Helper()
	gw := as[workload](t, objs["Deployment"]["gateway"])
	pod := gw.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("gateway: %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	files := map[string]string{} // path in the container -> content
	for _, v := range pod.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		cm, ok := objs["ConfigMap"][v.ConfigMap.Name]
		if !ok {
			t.Errorf("gateway mounts ConfigMap %s, which the kustomization does not make", v.ConfigMap.Name)
			continue
		}
		for key, data := range as[configMap](t, cm).Data {
			files[mounts[v.Name]+"/"+key] = data
		}
	}

	var static struct {
		EntryPoints map[string]struct {
			Address string `yaml:"address"`
		} `yaml:"entryPoints"`
		Ping struct {
			EntryPoint string `yaml:"entryPoint"`
		} `yaml:"ping"`
		Providers struct {
			File struct {
				Directory string `yaml:"directory"`
			} `yaml:"file"`
		} `yaml:"providers"`
	}
	configFile := ""
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--configFile="); ok {
			configFile = v
		}
	}
	if files[configFile] == "" {
		t.Fatalf("gateway --configFile=%q is not a mounted ConfigMap file (mounted: %v)", configFile, sortedMapKeys(files))
	}
	if files[configFile] != string(readFile(t, "deploy/k8s/gateway/traefik.yaml")) {
		t.Error("the gateway's static configuration differs from deploy/k8s/gateway/traefik.yaml (which compose uses)")
	}
	if err := yaml.Unmarshal([]byte(files[configFile]), &static); err != nil {
		t.Fatal(err)
	}
	routesPath := static.Providers.File.Directory + "/routes.yaml"
	if files[routesPath] != string(readFile(t, routesFile)) {
		t.Errorf("the gateway's %s is not %s (mounted: %v)", routesPath, routesFile, sortedMapKeys(files))
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if web := static.EntryPoints["web"].Address; web != ":8000" || ports["web"] != 8000 {
		t.Errorf("entry point web %q, container port web %d: want :8000 and 8000", web, ports["web"])
	}
	if ping := static.EntryPoints[static.Ping.EntryPoint].Address; ping != ":"+strconv.Itoa(ports["ping"]) {
		t.Errorf("ping entry point %q, container port ping %d", ping, ports["ping"])
	}
	for _, p := range []*probe{c.ReadinessProbe, c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/ping" || p.HTTPGet.Port != "ping" {
			t.Errorf("gateway probe %+v, want GET /ping on port ping", p)
		}
	}

	svc := as[service](t, objs["Service"]["gateway"])
	if !selects(svc.Spec.Selector, gw.Spec.Template.Metadata.Labels) || len(svc.Spec.Ports) != 1 ||
		svc.Spec.Ports[0].Name != "http" || svc.Spec.Ports[0].TargetPort != "web" {
		t.Errorf("Service gateway %+v, want port http -> web on the gateway pods", svc.Spec)
	}

	if len(objs["Ingress"]) != 1 {
		t.Fatalf("%d Ingresses, want 1", len(objs["Ingress"]))
	}
	for name, o := range objs["Ingress"] {
		ing := as[ingress](t, o)
		if len(ing.Spec.Rules) != 1 || len(ing.Spec.Rules[0].HTTP.Paths) != 1 {
			t.Fatalf("Ingress %s: want one rule with one path (everything to the gateway)", name)
		}
		p := ing.Spec.Rules[0].HTTP.Paths[0]
		if p.Path != "/" || p.Backend.Service.Name != "gateway" || p.Backend.Service.Port.Name != "http" {
			t.Errorf("Ingress %s path %+v, want / to gateway:http", name, p)
		}
	}
}

// expiryCall matches the expiry call of the schedulers: curl with a JSON
// body (a POST) to a function's URL.
var expiryCall = regexp.MustCompile(`curl [^|]*--json '[^']*' [^|]*(http://\S+)`)

// checkExpiryCall checks that a scheduler's shell command POSTs to a route of
// a registry function, reached at its own service name.
func checkExpiryCall(t *testing.T, where, script string) {
	t.Helper()
	m := expiryCall.FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("%s: no curl --json ... http://... in %q", where, script)
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	// A function's Service on 8080, or its Knative Service's cluster-local
	// host on port 80.
	name, knative := strings.CutSuffix(u.Hostname(), ".seckill.svc.cluster.local")
	fn, ok := registryFunction(name)
	if !ok {
		t.Errorf("%s calls %s: %s is not in the registry (functions/all/all.go)", where, m[1], name)
		return
	}
	wantPort := "8080"
	if knative {
		wantPort = ""
	}
	if u.Port() != wantPort || !slices.ContainsFunc(fn.Routes, func(r server.Route) bool {
		return r.Method == "POST" && regexp.MustCompile(pathRegexp(r.Path)).MatchString(u.Path)
	}) {
		t.Errorf("%s calls POST %s, which is not a route of %s %v at its Service (8080) or Knative Service (80)", where, m[1], name, routeKeys(fn.Routes))
	}
	if !strings.Contains(script, `"$ADMIN_TOKEN"`) && !strings.Contains(script, `"$$ADMIN_TOKEN"`) {
		t.Errorf("%s does not send the admin token", where)
	}
}

// TestKustomizationExpiresOrdersOnSchedule checks the CronJob of every
// variant: it calls the expiry function's route with the admin token from
// the Secret.
func TestKustomizationExpiresOrdersOnSchedule(t *testing.T) {
	for _, v := range k8sVariants {
		t.Run(v.Dir, func(t *testing.T) { checkExpirySchedule(t, renderKustomization(t, v.Dir)) })
	}
}

func checkExpirySchedule(t *testing.T, objs map[string]map[string]k8sObject) {
	t.Helper()
	if len(objs["CronJob"]) != 1 {
		t.Fatalf("%d CronJobs, want 1", len(objs["CronJob"]))
	}
	for name, o := range objs["CronJob"] {
		cj := as[cronJob](t, o)
		if len(strings.Fields(cj.Spec.Schedule)) != 5 {
			t.Errorf("CronJob %s schedule %q", name, cj.Spec.Schedule)
		}
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		if len(pod.Containers) != 1 {
			t.Fatalf("CronJob %s: %d containers", name, len(pod.Containers))
		}
		c := pod.Containers[0]
		checkExpiryCall(t, "CronJob "+name, strings.Join(append(c.Command, c.Args...), " "))
		var fromSecret bool
		for _, e := range c.Env {
			fromSecret = fromSecret || e.Name == "ADMIN_TOKEN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
				e.ValueFrom.SecretKeyRef.Name == "seckill-admin"
		}
		if !fromSecret {
			t.Errorf("CronJob %s: ADMIN_TOKEN is not from Secret seckill-admin", name)
		}
	}
}
