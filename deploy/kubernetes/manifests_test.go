// Package kubernetes_test validates the manifests: kustomize builds every overlay in process, and
// each object decodes strictly into its Kubernetes API type (an unknown or misspelt field, or a
// kind this list does not know, fails), then the house rules are checked.
package kubernetes_test

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
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

// singleRole reports whether service svc serves in one role only (its command refuses -role api
// and -role worker, as org's does: it has no background queues), so it has no worker Deployment.
func singleRole(t *testing.T, svc string) bool {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "app", svc, "cmd", svc, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(src), "has no separate api and worker roles")
}

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
// read-only root, no privilege escalation, probes, requests; org, which refuses those roles, one
// Deployment in role all), a Service, HPAs (the worker's on its queue's depth too), PDBs, a
// NetworkPolicy and a migration Job; only the gateway is exposed (the one Ingress, the one policy
// open to every source); images are tagged in production; every file a container is pointed at
// (a _FILE variable) is a read-only Secret mount its user can read, and org's API and migration
// get their token signing key that way.
func TestManifests(t *testing.T) {
	for _, dir := range []string{"base", "overlays/production"} {
		t.Run(dir, func(t *testing.T) {
			objs := objects(t, dir)
			need := []string{"Deployment/gateway", "Service/gateway", "Ingress/vanguard", "NetworkPolicy/default-deny-ingress"}
			for _, s := range services {
				need = append(need, "Service/"+s, "Job/"+s+"-migrate", "NetworkPolicy/"+s)
				roles := []string{"api", "worker"}
				if singleRole(t, s) {
					roles = []string{"api"}
					if objs["Deployment/"+s+"-worker"] != nil {
						t.Errorf("Deployment/%s-worker: %s has no worker role", s, s)
					}
				}
				for _, role := range roles {
					need = append(need, "Deployment/"+s+"-"+role, "HorizontalPodAutoscaler/"+s+"-"+role, "PodDisruptionBudget/"+s+"-"+role)
				}
				// The role each Deployment's command names: what the service accepts.
				for _, role := range roles {
					d, _ := objs["Deployment/"+s+"-"+role].(*appsv1.Deployment)
					if d == nil {
						continue
					}
					want := role
					if singleRole(t, s) {
						want = "all"
					}
					if args := d.Spec.Template.Spec.Containers[0].Args; !slices.Equal(args[len(args)-2:], []string{"-role", want}) {
						t.Errorf("Deployment/%s-%s: args %q, want -role %s", s, role, args, want)
					}
				}
			}
			// org's token signing key (secrets.jwt_private_key_file), in its API and its migration.
			for _, n := range []string{"Deployment/org-api", "Job/org-migrate"} {
				var pod corev1.PodSpec
				switch o := objs[n].(type) {
				case *appsv1.Deployment:
					pod = o.Spec.Template.Spec
				case *batchv1.Job:
					pod = o.Spec.Template.Spec
				default:
					continue
				}
				if !slices.ContainsFunc(pod.Containers[0].Env, func(e corev1.EnvVar) bool { return e.Name == "VANGUARD_JWT_PRIVATE_KEY_FILE" && e.Value != "" }) {
					t.Errorf("%s: no VANGUARD_JWT_PRIVATE_KEY_FILE", n)
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

// checkSecretFiles: every file a container is pointed at by a _FILE variable is in a read-only
// mount of a Secret volume whose items (or keys) put the file there, readable by the pod's user.
func checkSecretFiles(t *testing.T, name string, p corev1.PodSpec) {
	t.Helper()
	volumes := map[string]corev1.Volume{}
	for _, v := range p.Volumes {
		volumes[v.Name] = v
	}
	for _, c := range p.Containers {
		for _, e := range c.Env {
			if !strings.HasSuffix(e.Name, "_FILE") {
				continue
			}
			if e.Value == "" || !path.IsAbs(e.Value) {
				t.Errorf("%s/%s: %s is not a file path (%q)", name, c.Name, e.Name, e.Value)
				continue
			}
			found := false
			for _, m := range c.VolumeMounts {
				rel, ok := strings.CutPrefix(e.Value, strings.TrimSuffix(m.MountPath, "/")+"/")
				if m.SubPath != "" || !ok {
					continue
				}
				v := volumes[m.Name]
				if v.Secret == nil {
					t.Errorf("%s/%s: %s is in volume %s, not a Secret", name, c.Name, e.Name, m.Name)
					found = true
					continue
				}
				if !m.ReadOnly {
					t.Errorf("%s/%s: the Secret volume %s is mounted writable", name, c.Name, m.Name)
				}
				mode := int32(0o644) // the API's default
				if v.Secret.DefaultMode != nil {
					mode = *v.Secret.DefaultMode
				}
				inItems := len(v.Secret.Items) == 0 // without items, every key is a file of its name
				for _, it := range v.Secret.Items {
					if it.Path == rel {
						inItems = true
						if it.Mode != nil {
							mode = *it.Mode
						}
					}
				}
				if !inItems {
					t.Errorf("%s/%s: %s=%s: Secret %s's items put no file at %s", name, c.Name, e.Name, e.Value, v.Secret.SecretName, rel)
				}
				// Secret files belong to root, and to the fsGroup when there is one.
				sc := p.SecurityContext
				byGroup := sc != nil && sc.FSGroup != nil && mode&0o040 != 0
				if mode&0o004 == 0 && !byGroup {
					t.Errorf("%s/%s: %s: mode %#o without an fsGroup that may read it: the non-root user cannot read the file", name, c.Name, e.Value, mode)
				}
				found = true
			}
			if !found {
				t.Errorf("%s/%s: %s=%s is in no mounted Secret", name, c.Name, e.Name, e.Value)
			}
		}
	}
}

func checkPod(t *testing.T, name string, p corev1.PodSpec, probes bool) {
	t.Helper()
	checkSecretFiles(t, name, p)
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
