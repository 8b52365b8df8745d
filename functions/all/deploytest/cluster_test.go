package deploytest

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// Shapes of the Redis Cluster's Job and NetworkPolicy, decoded from
// kustomize's rendered output.
type (
	k8sJob struct {
		Spec struct {
			Template podTemplate `yaml:"template"`
		} `yaml:"spec"`
	}
	networkPolicy struct {
		Spec struct {
			PodSelector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"podSelector"`
			Ingress []struct {
				From []struct {
					PodSelector struct {
						MatchLabels map[string]string `yaml:"matchLabels"`
					} `yaml:"podSelector"`
				} `yaml:"from"`
				Ports []struct {
					Port int `yaml:"port"`
				} `yaml:"ports"`
			} `yaml:"ingress"`
		} `yaml:"spec"`
	}
)

// clusterArgs are the cluster settings every Redis Cluster node runs with,
// beyond deploy/redis.conf: flag -> value.
var clusterArgs = map[string]string{
	"--cluster-enabled":                 "yes",
	"--cluster-preferred-endpoint-type": "hostname",
}

// argValues returns the values of the --flag value pairs of a command line.
func argValues(cmd []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(cmd); i++ {
		if strings.HasPrefix(cmd[i], "--") {
			m[cmd[i]] = cmd[i+1]
		}
	}
	return m
}

// TestKustomizationRedisCluster checks the Redis Cluster of the cluster
// variants: a StatefulSet of six durable nodes (deploy/redis.conf mounted
// and used, cluster mode, each announcing its pod's DNS name, the data on a
// PersistentVolumeClaim), a headless Service publishing the pods before
// they are ready, a PodDisruptionBudget, a NetworkPolicy letting in only
// the functions, the Job and the nodes themselves (bus included), and a Job
// running create-cluster.sh (the file itself) on the six pods the
// functions' seed list names; no single Redis beside it.
func TestKustomizationRedisCluster(t *testing.T) {
	for _, v := range k8sVariants {
		if !v.Cluster {
			continue
		}
		t.Run(v.Dir, func(t *testing.T) {
			objs := renderKustomization(t, v.Dir)
			for _, kind := range []string{"StatefulSet", "Service", "NetworkPolicy"} {
				if _, ok := objs[kind]["redis"]; ok {
					t.Errorf("%s redis (the single Redis) beside the cluster", kind)
				}
			}
			o, ok := objs["StatefulSet"]["redis-cluster"]
			if !ok {
				t.Fatal("no StatefulSet redis-cluster")
			}
			s := as[workload](t, o)
			if s.Spec.Replicas == nil || *s.Spec.Replicas != 6 || s.Spec.ServiceName != "redis-cluster" || s.Spec.PodManagementPolicy != "Parallel" {
				t.Errorf("StatefulSet redis-cluster: replicas %v, serviceName %q, podManagementPolicy %q; want 6, redis-cluster, Parallel",
					s.Spec.Replicas, s.Spec.ServiceName, s.Spec.PodManagementPolicy)
			}
			pod := s.Spec.Template.Spec
			if len(pod.Containers) != 1 || len(s.Spec.VolumeClaimTemplates) != 1 {
				t.Fatalf("%d containers, %d volumeClaimTemplates; want 1 and 1", len(pod.Containers), len(s.Spec.VolumeClaimTemplates))
			}
			c := pod.Containers[0]
			if !strings.HasPrefix(c.Image, "redis:7") {
				t.Errorf("image %s, want Redis 7 (cluster-announce-hostname)", c.Image)
			}
			mounts := map[string]string{}
			for _, m := range c.VolumeMounts {
				mounts[m.Name] = m.MountPath
			}
			if mounts[s.Spec.VolumeClaimTemplates[0].Metadata.Name] != "/data" {
				t.Errorf("the PersistentVolumeClaim is not mounted at /data (the dir of redis.conf): %v", mounts)
			}
			var confMounted bool
			for _, vol := range pod.Volumes {
				if vol.ConfigMap == nil {
					continue
				}
				cm := as[configMap](t, objs["ConfigMap"][vol.ConfigMap.Name])
				if cm.Data["redis.conf"] != string(readFile(t, "deploy/redis.conf")) {
					t.Errorf("ConfigMap %s redis.conf differs from deploy/redis.conf", vol.ConfigMap.Name)
				}
				for _, file := range []string{usersScript, "redis-functions.acl"} {
					if cm.Data[file] != string(readFile(t, "deploy/"+file)) {
						t.Errorf("ConfigMap %s %s differs from deploy/%s", vol.ConfigMap.Name, file, file)
					}
				}
				server, ok := redisServerArgs(c.Command, mounts[vol.Name]+"/"+usersScript)
				confMounted = ok && len(server) > 1 && server[1] == mounts[vol.Name]+"/redis.conf"
			}
			if !confMounted {
				t.Errorf("command %v does not start redis-server with the mounted redis.conf", c.Command)
			}
			args := argValues(c.Command)
			for flag, want := range clusterArgs {
				if args[flag] != want {
					t.Errorf("redis-server %s %q, want %q", flag, args[flag], want)
				}
			}
			var podName bool
			for _, e := range c.Env {
				podName = podName || e.Name == "POD_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name"
			}
			if args["--cluster-announce-hostname"] != "$(POD_NAME).redis-cluster" || !podName {
				t.Errorf("--cluster-announce-hostname %q (POD_NAME from metadata.name: %v), want $(POD_NAME).redis-cluster: the pod's DNS name",
					args["--cluster-announce-hostname"], podName)
			}
			if !strings.HasPrefix(args["--cluster-config-file"], "/data/") {
				t.Errorf("--cluster-config-file %q, want it on the volume (/data): a node keeps its identity across restarts", args["--cluster-config-file"])
			}
			ports := map[string]int{}
			for _, p := range c.Ports {
				ports[p.Name] = p.ContainerPort
			}
			if ports["redis"] != 6379 || ports["bus"] != 16379 {
				t.Errorf("container ports %v, want redis 6379 and bus 16379", ports)
			}
			if c.ReadinessProbe == nil || c.LivenessProbe == nil {
				t.Error("no readiness or liveness probe")
			}

			svc := as[service](t, objs["Service"]["redis-cluster"])
			if svc.Spec.ClusterIP != "None" || !svc.Spec.PublishNotReadyAddresses || !selects(svc.Spec.Selector, s.Spec.Template.Metadata.Labels) {
				t.Errorf("Service redis-cluster %+v, want headless, publishing not-ready pods, selecting the StatefulSet's pods", svc.Spec)
			}

			p := as[pdb](t, objs["PodDisruptionBudget"]["redis-cluster"])
			if p.Spec.MaxUnavailable != 1 || !selects(p.Spec.Selector.MatchLabels, s.Spec.Template.Metadata.Labels) {
				t.Errorf("PodDisruptionBudget redis-cluster %+v, want maxUnavailable 1 selecting the nodes", p.Spec)
			}

			// The Job: create-cluster.sh, as committed, on the seed list's pods.
			job := as[k8sJob](t, objs["Job"]["redis-cluster-create"])
			jpod := job.Spec.Template.Spec
			if len(jpod.Containers) != 1 {
				t.Fatalf("Job redis-cluster-create: %d containers", len(jpod.Containers))
			}
			jc := jpod.Containers[0]
			jmounts := map[string]string{}
			for _, m := range jc.VolumeMounts {
				jmounts[m.Name] = m.MountPath
			}
			var script string
			for _, vol := range jpod.Volumes {
				if vol.ConfigMap == nil {
					continue
				}
				for key, data := range as[configMap](t, objs["ConfigMap"][vol.ConfigMap.Name]).Data {
					if jmounts[vol.Name]+"/"+key == strings.Join(jc.Command[1:], " ") {
						script = data
					}
				}
			}
			if script != string(readFile(t, createClusterScript)) {
				t.Errorf("Job command %v does not run %s as committed", jc.Command, createClusterScript)
			}
			if want := strings.Split(clusterSeeds, ","); !slices.Equal(jc.Args, want) {
				t.Errorf("Job args %v, want the seed list's pods %v", jc.Args, want)
			}
			for i, a := range jc.Args {
				if want := fmt.Sprintf("redis-cluster-%d.redis-cluster:6379", i); a != want {
					t.Errorf("Job arg %d %q, want %q (pod %d of the StatefulSet)", i, a, want, i)
				}
			}
			if lbl := job.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]; lbl != "redis-cluster-create" {
				t.Errorf("Job pods labelled %q; the NetworkPolicy lets in redis-cluster-create", lbl)
			}

			// The NetworkPolicy: functions and the Job on 6379, nodes on 6379 and 16379.
			np := as[networkPolicy](t, objs["NetworkPolicy"]["redis-cluster"])
			if !selects(np.Spec.PodSelector.MatchLabels, s.Spec.Template.Metadata.Labels) {
				t.Errorf("NetworkPolicy redis-cluster selects %v, not the nodes", np.Spec.PodSelector.MatchLabels)
			}
			allowed := map[string][]int{} // "key=value" of a from selector -> ports
			for _, rule := range np.Spec.Ingress {
				for _, from := range rule.From {
					for k, v := range from.PodSelector.MatchLabels {
						for _, port := range rule.Ports {
							allowed[k+"="+v] = append(allowed[k+"="+v], port.Port)
						}
					}
				}
			}
			for from, want := range map[string][]int{
				"app.kubernetes.io/component=function":        {6379},
				"app.kubernetes.io/name=redis-cluster-create": {6379},
				"app.kubernetes.io/name=redis-cluster":        {6379, 16379},
			} {
				got := allowed[from]
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("NetworkPolicy redis-cluster lets %s in on %v, want %v", from, got, want)
				}
			}
		})
	}
}

// TestComposeClusterMatchesRegistry checks deploy/compose.cluster.yaml: the
// functions as in compose.yaml but on Redis Cluster (REDIS_CLUSTER=true, every
// node a seed, started once the cluster is created); six Redis nodes, each
// with deploy/redis.conf (appendonly yes, appendfsync always) in cluster
// mode announcing its service name, its data on its own volume; and the
// one-shot creation service running create-cluster.sh on the six nodes once
// they are healthy.
func TestComposeClusterMatchesRegistry(t *testing.T) {
	p, err := loadComposeFile(t, "compose.cluster.yaml", "ADMIN_TOKEN=compose-test-token", "REDIS_PASSWORD=compose-test-redis-password", "REDIS_ADMIN_PASSWORD=compose-test-redis-admin", "ADMISSION_SECRET=compose-test-admission-secret", "PAYMENT_WEBHOOK_SECRET=compose-test-payment-secret")
	if err != nil {
		t.Fatalf("deploy/compose.cluster.yaml: %v", err)
	}
	root := repoRoot(t)
	conf := string(readFile(t, "deploy/redis.conf"))
	for _, line := range []string{"appendonly yes", "appendfsync always"} {
		if !slices.Contains(strings.Split(conf, "\n"), line) {
			t.Errorf("deploy/redis.conf has no line %q", line)
		}
	}

	var nodes []string
	for name, s := range p.Services {
		if !strings.HasPrefix(name, "redis-") || name == "redis-cluster-create" {
			continue
		}
		nodes = append(nodes, name)
		if !strings.HasPrefix(s.Image, "redis:7") {
			t.Errorf("%s image %s, want Redis 7", name, s.Image)
		}
		binds := mountsOf(s)
		confAt := binds[filepath.Join(root, "deploy", "redis.conf")]
		server, ok := redisServerArgs(s.Command, binds[filepath.Join(root, "deploy", usersScript)])
		if confAt == "" || !ok || server[1] != confAt {
			t.Errorf("%s runs %v with mounts %v, want redis-users.sh redis-server with deploy/redis.conf", name, s.Command, binds)
		}
		checkComposeRedisUsers(t, name, s)
		args := argValues(s.Command)
		for flag, want := range clusterArgs {
			if args[flag] != want {
				t.Errorf("%s: redis-server %s %q, want %q", name, flag, args[flag], want)
			}
		}
		if args["--cluster-announce-hostname"] != name {
			t.Errorf("%s: --cluster-announce-hostname %q, want its service name", name, args["--cluster-announce-hostname"])
		}
		var ownVolume bool
		for _, v := range s.Volumes {
			_, declared := p.Volumes[v.Source]
			ownVolume = ownVolume || v.Type == types.VolumeTypeVolume && v.Target == "/data" && declared && v.Source == name+"-data"
		}
		if !ownVolume {
			t.Errorf("%s: /data is not its own named volume", name)
		}
		if s.HealthCheck == nil {
			t.Errorf("%s has no health check", name)
		}
	}
	slices.Sort(nodes)
	want := []string{"redis-0", "redis-1", "redis-2", "redis-3", "redis-4", "redis-5"}
	if !slices.Equal(nodes, want) {
		t.Fatalf("Redis nodes %v, want %v", nodes, want)
	}
	if _, ok := p.Services["redis"]; ok {
		t.Error("a single redis service beside the cluster")
	}

	create, ok := p.Services["redis-cluster-create"]
	if !ok {
		t.Fatal("no service redis-cluster-create")
	}
	binds := mountsOf(create)
	script := binds[filepath.Join(root, filepath.FromSlash(createClusterScript))]
	var seeds []string
	for _, n := range want {
		seeds = append(seeds, n+":6379")
	}
	if script == "" || !slices.Equal(create.Command, types.ShellCommand(append([]string{"sh", script}, seeds...))) {
		t.Errorf("redis-cluster-create runs %v with mounts %v, want sh %s %v", create.Command, binds, createClusterScript, seeds)
	}
	if create.Restart != "no" {
		t.Errorf("redis-cluster-create restart %q, want no: it runs once", create.Restart)
	}
	for _, n := range want {
		if create.DependsOn[n].Condition != types.ServiceConditionHealthy {
			t.Errorf("redis-cluster-create does not wait for a healthy %s", n)
		}
	}

	fns := map[string]bool{}
	for name, s := range p.Services {
		if s.Build == nil {
			if !composeInfra[name] && !slices.Contains(want, name) && name != "redis-cluster-create" {
				t.Errorf("service %s is neither a function nor part of the platform", name)
			}
			continue
		}
		fns[name] = true
		env := map[string]string{}
		for k, v := range s.Environment {
			if v != nil {
				env[k] = *v
			}
			if !slices.Contains(envKeys(t), k) {
				t.Errorf("service %s: environment variable %s is not read by the functions (see --help)", name, k)
			}
		}
		if env["REDIS_CLUSTER"] != "true" || env["REDIS_ADDR"] != strings.Join(seeds, ",") {
			t.Errorf("service %s: REDIS_CLUSTER %q, REDIS_ADDR %q; want true and every node %s", name, env["REDIS_CLUSTER"], env["REDIS_ADDR"], strings.Join(seeds, ","))
		}
		if s.DependsOn["redis-cluster-create"].Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("service %s does not wait for the cluster's creation", name)
		}
	}
	checkSameNames(t, "deploy/compose.cluster.yaml services built from the Dockerfile", fns)
}
