// Package kubernetes_test validates the manifests: kustomize builds every overlay in process, and
// each object decodes strictly into its Kubernetes API type (an unknown or misspelt field, or a
// kind this list does not know, fails), then the house rules are checked.
package kubernetes_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

var services = []string{"org", "course", "quiz", "studyhour", "growth", "search"}

// objects builds an overlay and decodes every object strictly.
func objects(t *testing.T, dir string) map[string]any {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out := map[string]any{}
	for _, r := range res.Resources() {
		raw, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var obj any
		switch kind := r.GetKind(); kind {
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "Service":
			obj = &corev1.Service{}
		case "ConfigMap":
			obj = &corev1.ConfigMap{}
		case "Job":
			obj = &batchv1.Job{}
		case "HorizontalPodAutoscaler":
			obj = &autoscalingv2.HorizontalPodAutoscaler{}
		case "PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		case "NetworkPolicy":
			obj = &networkingv1.NetworkPolicy{}
		case "Ingress":
			obj = &networkingv1.Ingress{}
		default:
			t.Errorf("%s: an object of kind %s, which the validation does not know", dir, kind)
			continue
		}
		if err := yaml.UnmarshalStrict(raw, obj); err != nil {
			t.Errorf("%s: %s %s: %v", dir, r.GetKind(), r.GetName(), err)
			continue
		}
		out[r.GetKind()+"/"+r.GetName()] = obj
	}
	return out
}

// TestManifests: both the base and the production overlay build, every object is valid for its
// API type, and the rules hold: each service has an API and a worker Deployment (non-root,
// read-only root, no privilege escalation, probes, requests), a Service, HPAs (the worker's on
// its queue's depth too), PDBs, a NetworkPolicy and a migration Job; only the gateway is exposed
// (the one Ingress, the one policy open to every source); images are tagged in production.
func TestManifests(t *testing.T) {
	for _, dir := range []string{"base", "overlays/production"} {
		t.Run(dir, func(t *testing.T) {
			objs := objects(t, dir)
			need := []string{"Deployment/gateway", "Service/gateway", "Ingress/vanguard", "NetworkPolicy/default-deny-ingress"}
			for _, s := range services {
				need = append(need, "Service/"+s, "Job/"+s+"-migrate", "NetworkPolicy/"+s)
				for _, role := range []string{"api", "worker"} {
					need = append(need, "Deployment/"+s+"-"+role, "HorizontalPodAutoscaler/"+s+"-"+role, "PodDisruptionBudget/"+s+"-"+role)
				}
			}
			for _, n := range need {
				if objs[n] == nil {
					t.Errorf("missing %s", n)
				}
			}
			for name, o := range objs {
				switch o := o.(type) {
				case *appsv1.Deployment:
					checkPod(t, name, o.Spec.Template.Spec, true)
					if dir != "base" && !strings.Contains(o.Spec.Template.Spec.Containers[0].Image, ":") {
						t.Errorf("%s: image %s has no tag", name, o.Spec.Template.Spec.Containers[0].Image)
					}
				case *batchv1.Job:
					checkPod(t, name, o.Spec.Template.Spec, false)
				case *networkingv1.NetworkPolicy:
					for _, in := range o.Spec.Ingress {
						if len(in.From) == 0 && name != "NetworkPolicy/gateway" {
							t.Errorf("%s admits every source; only the gateway's may", name)
						}
					}
				case *corev1.Service:
					if o.Spec.Type != "" && o.Spec.Type != corev1.ServiceTypeClusterIP {
						t.Errorf("%s is %s: services stay inside the cluster, the Ingress exposes the gateway", name, o.Spec.Type)
					}
				case *autoscalingv2.HorizontalPodAutoscaler:
					if strings.HasSuffix(name, "-worker") && !slices.ContainsFunc(o.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
						return m.External != nil && m.External.Metric.Name == "asynq_queue_size"
					}) {
						t.Errorf("%s does not scale on its queue's depth", name)
					}
				}
			}
		})
	}
}

func checkPod(t *testing.T, name string, p corev1.PodSpec, probes bool) {
	t.Helper()
	if p.SecurityContext == nil || p.SecurityContext.RunAsNonRoot == nil || !*p.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: pods must run as non-root", name)
	}
	for _, c := range p.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s/%s: a read-only root and no privilege escalation", name, c.Name)
		}
		if probes && (c.ReadinessProbe == nil || c.LivenessProbe == nil) {
			t.Errorf("%s/%s: readiness and liveness probes", name, c.Name)
		}
		if probes && c.Resources.Requests.Cpu().IsZero() {
			t.Errorf("%s/%s: a CPU request (the HPA's utilisation needs it)", name, c.Name)
		}
		for _, v := range p.Volumes {
			if v.ConfigMap != nil && !strings.Contains(v.ConfigMap.Name, "config") {
				t.Errorf("%s: volume %s", name, fmt.Sprint(v.ConfigMap.Name))
			}
		}
	}
}
