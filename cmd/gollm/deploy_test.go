package main

import (
	"os"
	"os/exec"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// k8sJob is the part of a Kubernetes Job manifest that the test checks.
type k8sJob struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy   string         `yaml:"restartPolicy"`
				SecurityContext k8sSecurity    `yaml:"securityContext"`
				Containers      []k8sContainer `yaml:"containers"`
				Volumes         []struct {
					Name string `yaml:"name"`
					PVC  *struct {
						ReadOnly bool `yaml:"readOnly"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sSecurity struct {
	RunAsNonRoot *bool `yaml:"runAsNonRoot"`
	RunAsUser    *int  `yaml:"runAsUser"`
}

type k8sContainer struct {
	Args            []string    `yaml:"args"`
	SecurityContext k8sSecurity `yaml:"securityContext"`
	VolumeMounts    []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

// flagValue is the value of --name in args ("" when absent).
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// checkPerplexityArgs parses args (after "gollm") with the real perplexity
// command, so that every flag the deployment passes exists and takes its
// value.
func checkPerplexityArgs(t *testing.T, args []string) {
	t.Helper()
	if len(args) == 0 || args[0] != "perplexity" {
		t.Fatalf("args %v do not run gollm perplexity", args)
	}
	cmd, rest, err := rootCmd.Find(args)
	if err != nil || cmd.Name() != "perplexity" {
		t.Fatalf("%v: %v", args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("gollm %s: %v", strings.Join(args, " "), err)
	}
}

// TestK8sJob: deploy/k8s-perplexity-job.yaml is an Indexed Job of as many
// completions as --shard-count, each pod running --shard auto with the
// model on a read-only volume, as a non-root user, writing its own part
// (named by its index) to a writable shared volume.
func TestK8sJob(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/k8s-perplexity-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job k8sJob
	if err := yaml.Unmarshal(raw, &job); err != nil {
		t.Fatal(err)
	}
	s := job.Spec
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || s.CompletionMode != "Indexed" {
		t.Errorf("%s %s, completionMode %q: want a batch/v1 Job, Indexed", job.APIVersion, job.Kind, s.CompletionMode)
	}
	if s.Completions < 2 || s.Parallelism < 1 || s.Parallelism > s.Completions {
		t.Errorf("completions %d, parallelism %d", s.Completions, s.Parallelism)
	}
	pod := s.Template.Spec
	if p := pod.RestartPolicy; p != "Never" && p != "OnFailure" {
		t.Errorf("restartPolicy %q: a Job's pods need Never or OnFailure", p)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	checkPerplexityArgs(t, c.Args)
	if flagValue(c.Args, "--shard") != "auto" || flagValue(c.Args, "--shard-count") != strconv.Itoa(s.Completions) {
		t.Errorf("args %v: want --shard auto --shard-count %d (the completions)", c.Args, s.Completions)
	}
	nonRoot := func(sc k8sSecurity) bool { return sc.RunAsNonRoot != nil && *sc.RunAsNonRoot }
	if !nonRoot(pod.SecurityContext) && !nonRoot(c.SecurityContext) {
		t.Error("neither the pod nor the container sets runAsNonRoot: true")
	}
	for _, sc := range []k8sSecurity{pod.SecurityContext, c.SecurityContext} {
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			t.Error("runAsUser 0")
		}
	}
	// mountOf is the mount holding file, and whether its volume is a
	// read-only claim.
	mountOf := func(file string) (name string, readOnly, claimRO bool) {
		for _, m := range c.VolumeMounts {
			if strings.HasPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/") {
				name, readOnly = m.Name, m.ReadOnly
			}
		}
		for _, v := range pod.Volumes {
			if v.Name == name && v.PVC != nil {
				claimRO = v.PVC.ReadOnly
			}
		}
		return name, readOnly, claimRO
	}
	model := flagValue(c.Args, "--model")
	if name, ro, claimRO := mountOf(model); !strings.HasPrefix(model, "/models/") || name == "" || !ro || !claimRO {
		t.Errorf("--model %s: mount %q, readOnly %v, claim readOnly %v: want it under /models, mounted read-only", model, name, ro, claimRO)
	}
	part := flagValue(c.Args, "--out-part")
	if name, ro, _ := mountOf(part); name == "" || ro || !strings.Contains(part, "$(JOB_COMPLETION_INDEX)") {
		t.Errorf("--out-part %s: mount %q, readOnly %v: want a writable shared volume and a name per index", part, name, ro)
	}
}

// TestSlurmScript: deploy/slurm-perplexity.sh is valid bash whose
// #SBATCH --array range is what its gollm line shards over: --shard auto,
// any --shard-count equal to the array's size, a part per task id.
func TestSlurmScript(t *testing.T) {
	const script = "../../deploy/slurm-perplexity.sh"
	raw, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		if out, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v: %s", err, out)
		}
	}
	text := strings.ReplaceAll(string(raw), "\\\n", " ")
	m := regexp.MustCompile(`(?m)^#SBATCH --array=(\d+)-(\d+)(%\d+)?$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no #SBATCH --array=A-B line")
	}
	lo, _ := strconv.Atoi(m[1])
	hi, _ := strconv.Atoi(m[2])
	tasks := hi - lo + 1
	var args []string
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); !strings.HasPrefix(line, "#") && len(f) > 2 && f[0] == "srun" {
			args = f[2:] // srun "$GOLLM" perplexity …
		}
	}
	// The shell's words, as the real command gets them: defaults of
	// ${VAR:-x} taken, other variables a placeholder.
	for i, a := range args {
		args[i] = os.Expand(strings.Trim(a, `"`), func(v string) string {
			if _, def, ok := strings.Cut(v, ":-"); ok {
				return def
			}
			return "$" + v
		})
	}
	checkPerplexityArgs(t, args)
	if flagValue(args, "--shard") != "auto" {
		t.Errorf("%v: want --shard auto", args)
	}
	if n := flagValue(args, "--shard-count"); n != "" && n != strconv.Itoa(tasks) {
		t.Errorf("--shard-count %s for an array of %d tasks", n, tasks)
	}
	if p := flagValue(args, "--out-part"); !strings.Contains(p, "$SLURM_ARRAY_TASK_ID") {
		t.Errorf("--out-part %s: want a part per task (SLURM_ARRAY_TASK_ID)", p)
	}
	if tasks < 2 {
		t.Errorf("--array=%s-%s: %d task", m[1], m[2], tasks)
	}
}

// TestDockerfile: deploy/Dockerfile builds a static binary (CGO_ENABLED=0)
// in one stage and runs it in a distroless or scratch stage as a numeric
// non-root user.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var from []string
	var user string
	static := false
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) < 2:
		case f[0] == "FROM":
			from = append(from, f[1])
		case f[0] == "USER":
			user = f[1]
		case f[0] == "RUN" && strings.Contains(line, "CGO_ENABLED=0") && strings.Contains(line, "go build"):
			static = true
		}
	}
	if len(from) < 2 || !static {
		t.Fatalf("stages %v, static build %v: want a build stage with CGO_ENABLED=0 go build", from, static)
	}
	if final := path.Base(from[len(from)-1]); !strings.HasPrefix(final, "static") && final != "scratch" {
		t.Errorf("final stage %s: want distroless/static or scratch", final)
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %q: want a numeric non-root user", user)
	}
}
