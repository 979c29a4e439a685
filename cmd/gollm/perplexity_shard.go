package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gollm/gollm/eval"
)

// shardSpec is one shard of a sharded evaluation: Index of Count.
type shardSpec struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

func (s shardSpec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// check refuses a count below 1 and an index outside 0..count−1; what
// names where the numbers came from.
func (s shardSpec) check(what string) error {
	switch {
	case s.Count < 1:
		return fmt.Errorf("%s: the shard count must be ≥ 1, got %d", what, s.Count)
	case s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("%s: shard index %d is out of range 0..%d for %d shards", what, s.Index, s.Count-1, s.Count)
	}
	return nil
}

// The batch engines' variables --shard auto reads.
const (
	envK8sIndex   = "JOB_COMPLETION_INDEX"   // Kubernetes Indexed Job: the pod's index
	envSlurmID    = "SLURM_ARRAY_TASK_ID"    // Slurm job array: this task's id
	envSlurmCount = "SLURM_ARRAY_TASK_COUNT" // the array's number of tasks
	envSlurmMin   = "SLURM_ARRAY_TASK_MIN"   // its lowest id (--array=1-3 starts at 1)
	envSlurmStep  = "SLURM_ARRAY_TASK_STEP"  // its step (--array=0-10:2)
)

// resolveShard reads --shard: "i/N", or "auto" to take the index (and,
// under Slurm, the count) from the batch engine's variables, with count
// (--shard-count, 0 when not given) the number of shards. It returns the
// shard and, for auto, a line saying where it came from.
func resolveShard(flag string, count int, getenv func(string) string) (shardSpec, string, error) {
	if flag != "auto" {
		if count != 0 {
			return shardSpec{}, "", fmt.Errorf("--shard-count goes with --shard auto (--shard %s names its count)", flag)
		}
		s, err := parseShard(flag)
		return s, "", err
	}
	if count < 0 {
		return shardSpec{}, "", fmt.Errorf("--shard-count must be ≥ 1, got %d", count)
	}
	k8s, slurm := getenv(envK8sIndex), getenv(envSlurmID)
	switch {
	case k8s != "" && slurm != "":
		return shardSpec{}, "", fmt.Errorf("--shard auto: both %s (Kubernetes) and %s (Slurm) are set: give --shard i/N", envK8sIndex, envSlurmID)
	case k8s != "":
		return k8sShard(k8s, count)
	case slurm != "":
		return slurmShard(count, getenv)
	}
	return shardSpec{}, "", fmt.Errorf("--shard auto: neither %s (a Kubernetes Indexed Job) nor %s (a Slurm job array) is set: give --shard i/N", envK8sIndex, envSlurmID)
}

// parseShard reads "i/N".
func parseShard(s string) (shardSpec, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return shardSpec{}, fmt.Errorf("--shard %q: want i/N (shard i of N, 0 ≤ i < N) or auto", s)
	}
	sh := shardSpec{Index: i, Count: n}
	return sh, sh.check("--shard " + s)
}

// k8sShard is the shard of a pod of an Indexed Job: its index from
// JOB_COMPLETION_INDEX, the count from --shard-count (the Job's
// completions, which the pod cannot see).
func k8sShard(index string, count int) (shardSpec, string, error) {
	i, err := strconv.Atoi(index)
	if err != nil {
		return shardSpec{}, "", fmt.Errorf("--shard auto: %s=%q is not an index", envK8sIndex, index)
	}
	if count == 0 {
		return shardSpec{}, "", fmt.Errorf("--shard auto: %s=%d (a Kubernetes Indexed Job) needs --shard-count N, the Job's completions", envK8sIndex, i)
	}
	sh := shardSpec{Index: i, Count: count}
	if err := sh.check(fmt.Sprintf("--shard auto: %s=%d with --shard-count %d", envK8sIndex, i, count)); err != nil {
		return shardSpec{}, "", err
	}
	return sh, fmt.Sprintf("shard %s from %s=%d (Kubernetes Indexed Job) and --shard-count %d", sh, envK8sIndex, i, count), nil
}

// slurmShard is the shard of a task of a Slurm job array: index
// (ID − MIN) / STEP, count SLURM_ARRAY_TASK_COUNT (or --shard-count when
// Slurm does not set it; both must agree when both are there).
func slurmShard(count int, getenv func(string) string) (shardSpec, string, error) {
	num := func(name, def string) (int, error) {
		v := getenv(name)
		if v == "" {
			v = def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("--shard auto: %s=%q is not a number", name, v)
		}
		return n, nil
	}
	task, err := num(envSlurmID, "")
	if err != nil {
		return shardSpec{}, "", err
	}
	lowest, err := num(envSlurmMin, "0")
	if err != nil {
		return shardSpec{}, "", err
	}
	step, err := num(envSlurmStep, "1")
	if err != nil {
		return shardSpec{}, "", err
	}
	tasks, err := num(envSlurmCount, strconv.Itoa(count))
	if err != nil {
		return shardSpec{}, "", err
	}
	where := fmt.Sprintf("%s=%d, %s=%d", envSlurmID, task, envSlurmMin, lowest)
	switch {
	case tasks == 0:
		return shardSpec{}, "", fmt.Errorf("--shard auto: %s: %s is not set: give --shard-count N, the array's size", where, envSlurmCount)
	case count != 0 && getenv(envSlurmCount) != "" && count != tasks:
		return shardSpec{}, "", fmt.Errorf("--shard auto: --shard-count %d, but the array has %s=%d tasks", count, envSlurmCount, tasks)
	case step < 1 || (task-lowest)%step != 0:
		return shardSpec{}, "", fmt.Errorf("--shard auto: %s, %s=%d: not a task of an evenly spaced array (use --array=A-B[:S])", where, envSlurmStep, step)
	}
	sh := shardSpec{Index: (task - lowest) / step, Count: tasks}
	if err := sh.check(fmt.Sprintf("--shard auto: %s, %d tasks", where, tasks)); err != nil {
		return shardSpec{}, "", err
	}
	return sh, fmt.Sprintf("shard %s from %s (Slurm job array of %d tasks)", sh, where, tasks), nil
}

// runShard evaluates shard's units of s (eval.Shards) and writes them with
// the run's identity to the part file out. An interrupted shard writes
// nothing: a part holds all of its units or does not exist.
func runShard(parent context.Context, l *loaded, mf *modelFlags, s *pplSetup, shard shardSpec, out string) error {
	id, err := newPplIdentity(l, mf.weights.name, s)
	if err != nil {
		return err
	}
	units := eval.Shards(s.spans, shard.Count)[shard.Index]
	if err := s.ev.Restrict(units); err != nil {
		return fmt.Errorf("perplexity: %w", err)
	}
	tokens, all := 0, 0
	for i, sp := range s.spans {
		all += sp.Len()
		if slices.Contains(units, i) {
			tokens += sp.Len()
		}
	}
	fmt.Fprintf(os.Stderr, "gollm: shard %s: %d of %d units (windows × %s), %d of %d tokens\n",
		shard, len(units), len(s.spans), plural(len(s.settings), "setting"), tokens, all)
	err = evaluatePerplexity(parent, s.ev, s.rep)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "perplexity: interrupted: shard %s wrote no part (run it again)\n", shard)
		return errInterrupted
	}
	if err != nil {
		return fmt.Errorf("perplexity: %w", err)
	}
	part := &pplPart{Format: partFormat, Identity: id, Shard: shard, Backend: kernelBackend(), Units: s.ev.Results()}
	if err := writePart(out, part); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gollm: shard %s: %s in %.1f s, written to %s\n", shard, plural(len(units), "unit"), s.rep.wall, out)
	return nil
}
