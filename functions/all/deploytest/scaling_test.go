package deploytest

import (
	"maps"
	"slices"
	"strconv"
	"testing"

	"seckill/functions/all"
	"seckill/functions/server"
)

// Shapes of the scaling objects, decoded from kustomize's rendered output.
type (
	hpa struct {
		Spec struct {
			ScaleTargetRef struct {
				APIVersion string `yaml:"apiVersion"`
				Kind       string `yaml:"kind"`
				Name       string `yaml:"name"`
			} `yaml:"scaleTargetRef"`
			MinReplicas *int `yaml:"minReplicas"`
			MaxReplicas int  `yaml:"maxReplicas"`
			Metrics     []struct {
				Type     string `yaml:"type"`
				Resource struct {
					Name   string `yaml:"name"`
					Target struct {
						Type               string `yaml:"type"`
						AverageUtilization int    `yaml:"averageUtilization"`
					} `yaml:"target"`
				} `yaml:"resource"`
			} `yaml:"metrics"`
		} `yaml:"spec"`
	}
	pdb struct {
		Spec struct {
			MaxUnavailable any  `yaml:"maxUnavailable"`
			MinAvailable   *any `yaml:"minAvailable"`
			Selector       struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
		} `yaml:"spec"`
	}
)

// hotFunctions are the functions every buyer calls during a sale: each has a
// PodDisruptionBudget, and purchase scales widest of all.
var hotFunctions = []string{"purchase", "purchaseresult", "getactivity", "storefront"}

// adminOnly reports whether only the operator (or a schedule) calls fn.
func adminOnly(fn server.Function) bool {
	return !slices.ContainsFunc(fn.Routes, func(r server.Route) bool { return !r.Admin })
}

// scalingBounds are the bounds of one function's HPA.
type scalingBounds struct{ Min, Max int }

// TestKustomizationScalesEveryFunction checks, in every variant with
// Deployments, that each function has a HorizontalPodAutoscaler on its
// Deployment, CPU-based and relative to a CPU request the Deployment sets,
// with sane bounds (a function users call keeps two pods, an admin function
// one; purchase scales widest); that the hot functions, and only they, have
// a PodDisruptionBudget selecting their pods with maxUnavailable 1; and
// that every function's pods spread across nodes without blocking
// scheduling.
func TestKustomizationScalesEveryFunction(t *testing.T) {
	for _, v := range k8sVariants {
		if v.Knative {
			continue // TestKnativeServicesMatchDeployments
		}
		t.Run(v.Dir, func(t *testing.T) {
			objs := renderKustomization(t, v.Dir)
			bounds := map[string]scalingBounds{}
			for _, fn := range all.Functions {
				name := fn.Name
				o, ok := objs["HorizontalPodAutoscaler"][name]
				if !ok {
					t.Errorf("function %s has no HorizontalPodAutoscaler", name)
					continue
				}
				h := as[hpa](t, o)
				ref := h.Spec.ScaleTargetRef
				if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != name {
					t.Errorf("HPA %s scales %+v, want its Deployment", name, ref)
				}
				if h.Spec.MinReplicas == nil {
					t.Errorf("HPA %s: no minReplicas", name)
					continue
				}
				lo, hi := *h.Spec.MinReplicas, h.Spec.MaxReplicas
				bounds[name] = scalingBounds{lo, hi}
				wantMin := 2
				if adminOnly(fn) {
					wantMin = 1
				}
				if lo < wantMin || hi < lo || hi > 100 {
					t.Errorf("HPA %s: %d to %d replicas, want %d <= min <= max <= 100", name, lo, hi, wantMin)
				}
				if len(h.Spec.Metrics) != 1 || h.Spec.Metrics[0].Type != "Resource" || h.Spec.Metrics[0].Resource.Name != "cpu" ||
					h.Spec.Metrics[0].Resource.Target.Type != "Utilization" ||
					h.Spec.Metrics[0].Resource.Target.AverageUtilization < 10 || h.Spec.Metrics[0].Resource.Target.AverageUtilization > 90 {
					t.Errorf("HPA %s metrics %+v, want CPU utilization between 10 and 90%% of the request", name, h.Spec.Metrics)
				}

				d, ok := objs["Deployment"][name]
				if !ok {
					continue // reported by TestKustomizationMatchesRegistry
				}
				pod := as[workload](t, d).Spec.Template.Spec
				if len(pod.Containers) != 1 || pod.Containers[0].Resources.Requests["cpu"] == "" {
					t.Errorf("Deployment %s: no CPU request, which the HPA's utilization is relative to", name)
				}
				var spread bool
				for _, c := range pod.TopologySpreadConstraints {
					spread = spread || c.TopologyKey == "kubernetes.io/hostname" && c.WhenUnsatisfiable == "ScheduleAnyway" &&
						c.MaxSkew == 1 && c.LabelSelector.MatchLabels["app.kubernetes.io/name"] == name
				}
				if !spread {
					t.Errorf("Deployment %s: topologySpreadConstraints %+v, want maxSkew 1 across kubernetes.io/hostname, ScheduleAnyway, selecting its pods", name, pod.TopologySpreadConstraints)
				}

				po, hasPDB := objs["PodDisruptionBudget"][name]
				if hot := slices.Contains(hotFunctions, name); hot != hasPDB {
					t.Errorf("function %s: PodDisruptionBudget %v, want it exactly for the hot functions %v", name, hasPDB, hotFunctions)
				}
				if !hasPDB {
					continue
				}
				p := as[pdb](t, po)
				if p.Spec.MaxUnavailable != 1 || p.Spec.MinAvailable != nil ||
					!selects(p.Spec.Selector.MatchLabels, as[workload](t, d).Spec.Template.Metadata.Labels) ||
					p.Spec.Selector.MatchLabels["app.kubernetes.io/name"] != name {
					t.Errorf("PodDisruptionBudget %s %+v, want maxUnavailable 1 selecting the function's pods", name, p.Spec)
				}
				if lo < 2 {
					t.Errorf("PodDisruptionBudget %s on a function with min %d replica would block node drains", name, lo)
				}
			}
			for name := range objs["HorizontalPodAutoscaler"] {
				if _, ok := registryFunction(name); !ok {
					t.Errorf("HorizontalPodAutoscaler %s of no registry function", name)
				}
			}
			for name, b := range bounds {
				if p := bounds["purchase"]; name != "purchase" && (b.Max >= p.Max || b.Min > p.Min) {
					t.Errorf("%s scales %d to %d, purchase %d to %d: purchase must scale widest", name, b.Min, b.Max, p.Min, p.Max)
				}
			}
		})
	}
}

// TestKnativeServicesMatchDeployments checks the Knative variants: each
// function's Knative Service runs the image, environment (the same
// ConfigMaps and Secret, so the same variables), probe paths and resources
// of its Deployment in the default variant; it is cluster-local (reached
// through the gateway only); it scales by concurrency with a target, to at
// most its HPA's maximum, from zero for an admin function only and from at
// least one pod for every function users call.
func TestKnativeServicesMatchDeployments(t *testing.T) {
	base := renderKustomization(t, "deploy/k8s")
	baseVariant := k8sVariants[0]
	for _, v := range k8sVariants {
		if !v.Knative {
			continue
		}
		t.Run(v.Dir, func(t *testing.T) {
			objs := renderKustomization(t, v.Dir)
			for _, fn := range all.Functions {
				name := fn.Name
				o, ok := objs[knativeService][name]
				if !ok {
					continue // reported by TestKustomizationMatchesRegistry
				}
				ks := as[knativeSvc](t, o)
				where := "Knative Service " + name
				if ks.Metadata.Labels["networking.knative.dev/visibility"] != "cluster-local" {
					t.Errorf("%s is not cluster-local (label networking.knative.dev/visibility): it would be public beside the gateway", where)
				}
				tmpl := ks.Spec.Template
				if tmpl.Metadata.Labels["app.kubernetes.io/component"] != "function" {
					t.Errorf("%s: pods not labelled app.kubernetes.io/component=function: the Redis NetworkPolicy would refuse them", where)
				}
				if len(tmpl.Spec.Containers) != 1 {
					t.Fatalf("%s: %d containers, want 1", where, len(tmpl.Spec.Containers))
				}
				c := tmpl.Spec.Containers[0]
				checkFunctionContainer(t, v, objs, where, name, c)
				if len(c.Ports) != 1 || c.Ports[0].Name != "http1" || c.Ports[0].ContainerPort != 8080 {
					t.Errorf("%s: ports %+v, want http1 8080 (Knative sets PORT to it)", where, c.Ports)
				}
				checkHTTPProbe(t, where, "liveness", c.LivenessProbe, "/livez", "")
				checkHTTPProbe(t, where, "readiness", c.ReadinessProbe, "/readyz", "")
				if c.ReadinessProbe != nil && c.ReadinessProbe.PeriodSeconds != 0 {
					t.Errorf("%s: readiness periodSeconds %d: Knative probes a cold pod only that often, set none", where, c.ReadinessProbe.PeriodSeconds)
				}
				if c.StartupProbe != nil || c.Lifecycle != nil {
					t.Errorf("%s: startupProbe or lifecycle set: Knative refuses them", where)
				}

				// The same as the Deployment of the default variant, but for
				// the Redis address of a cluster variant.
				do, ok := base["Deployment"][name]
				if !ok {
					t.Errorf("%s: no Deployment %s in deploy/k8s to compare with", where, name)
					continue
				}
				dc := as[workload](t, do).Spec.Template.Spec.Containers[0]
				if c.Image != dc.Image || c.ImagePullPolicy != dc.ImagePullPolicy {
					t.Errorf("%s: image %s (%s), Deployment %s (%s)", where, c.Image, c.ImagePullPolicy, dc.Image, dc.ImagePullPolicy)
				}
				env, denv := containerEnv(t, where, objs, c), containerEnv(t, "Deployment "+name, base, dc)
				for k := range baseVariant.redisEnv() {
					delete(denv, k)
				}
				maps.Copy(denv, v.redisEnv())
				if !maps.Equal(env, denv) {
					t.Errorf("%s: environment %v, its Deployment's %v", where, env, denv)
				}
				if !maps.Equal(c.Resources.Requests, dc.Resources.Requests) || !maps.Equal(c.Resources.Limits, dc.Resources.Limits) {
					t.Errorf("%s: resources %+v, its Deployment's %+v", where, c.Resources, dc.Resources)
				}
				for _, p := range [][2]*probe{{c.LivenessProbe, dc.LivenessProbe}, {c.ReadinessProbe, dc.ReadinessProbe}} {
					if p[0] == nil || p[1] == nil || p[0].HTTPGet == nil || p[1].HTTPGet == nil || p[0].HTTPGet.Path != p[1].HTTPGet.Path {
						t.Errorf("%s: probe %+v, its Deployment's %+v", where, p[0], p[1])
					}
				}

				// Scaling: concurrency-based, bounded by the HPA's maximum.
				ann := tmpl.Metadata.Annotations
				minScale, err1 := strconv.Atoi(ann["autoscaling.knative.dev/min-scale"])
				maxScale, err2 := strconv.Atoi(ann["autoscaling.knative.dev/max-scale"])
				target, err3 := strconv.Atoi(ann["autoscaling.knative.dev/target"])
				if err1 != nil || err2 != nil || err3 != nil || ann["autoscaling.knative.dev/metric"] != "concurrency" {
					t.Errorf("%s: annotations %v, want metric concurrency, target, min-scale and max-scale", where, ann)
					continue
				}
				h := as[hpa](t, base["HorizontalPodAutoscaler"][name])
				if maxScale != h.Spec.MaxReplicas || target < 1 {
					t.Errorf("%s: max-scale %d target %d, want the HPA's maximum %d and a target", where, maxScale, target, h.Spec.MaxReplicas)
				}
				switch {
				case adminOnly(fn) && minScale != 0:
					t.Errorf("%s: min-scale %d, want 0: only the operator calls it", where, minScale)
				case !adminOnly(fn) && minScale < 1:
					t.Errorf("%s: min-scale %d: users would wait for a cold start", where, minScale)
				case slices.Contains(hotFunctions, name) && minScale < 2:
					t.Errorf("%s: min-scale %d, want at least 2 for a hot function", where, minScale)
				}
			}
		})
	}
}

// knativeSvc is the part of a Knative Service the tests read.
type knativeSvc struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		Template struct {
			Metadata struct {
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}
