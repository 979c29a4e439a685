package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gollm/gollm/eval"
	"github.com/gollm/gollm/internal/readlimit"
)

// shardRun is a sweep on the tiny model over four documents (45 windows of
// 32 tokens): L = 0 and L = 1 with two seeds, with KL.
func shardRun(t *testing.T) []string {
	dir := tinyModel(t)
	text, folder, jsonl := pplData(t)
	return []string{"perplexity", "--model", dir, "--file", text, "--data", folder, "--data", jsonl,
		"--ctx", "32", "--hyper-layers", "0,1", "--repeats", "2", "--hyper-min-seq", "8", "--hyper-block", "4",
		"--hyper-samples", "4", "--kl"}
}

// untimedJSON drops the timing fields of --json lines and re-encodes them.
func untimedJSON(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		for _, k := range []string{"seconds", "attention_seconds", "tokens_per_s", "speedup", "attention_speedup"} {
			delete(r, k)
		}
		b, _ := json.Marshal(r)
		lines = append(lines, string(b))
	}
	return lines
}

// untimedTable is the human output less the table's time columns (time,
// attn, tokens/s, speedups) and the wall time line.
func untimedTable(s string) []string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if f := strings.Fields(l); len(f) >= 14 && f[0] != "L" && !strings.HasPrefix(l, "PPL") {
			l = strings.Join(append(f[:9:9], f[14:]...), " ")
		}
		if !strings.HasPrefix(l, "time") {
			keep = append(keep, l)
		}
	}
	return keep
}

// writeShards runs every shard of n of args into dir and returns the part
// files in shard order.
func writeShards(t *testing.T, args []string, n int, dir string) []string {
	t.Helper()
	var parts []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("part-%d-of-%d.json", i, n))
		if _, errs, code := runCLI(t, "", append(args, "--shard", fmt.Sprintf("%d/%d", i, n), "--out-part", p)...); code != 0 {
			t.Fatalf("shard %d/%d: exit %d: %s", i, n, code, errs)
		}
		parts = append(parts, p)
	}
	return parts
}

// TestShardedPerplexityMerge: the sweep sharded over N = 1, 2, 3 and 7
// and merged prints the unsharded --json lines exactly, timings aside, and
// the same table; a shard run again, or chosen by --shard auto from a
// Kubernetes or Slurm variable, writes the same bytes.
func TestShardedPerplexityMerge(t *testing.T) {
	args := shardRun(t)
	out, errs, code := runCLI(t, "", append(args, "--json")...)
	if code != 0 {
		t.Fatalf("unsharded: exit %d: %s", code, errs)
	}
	want := untimedJSON(t, out)
	if len(want) != 2 || !strings.Contains(want[1], `"kl":`) {
		t.Fatalf("unsharded: %v", want)
	}
	dir := t.TempDir()
	csvWant, csvGot := filepath.Join(dir, "whole.csv"), filepath.Join(dir, "merged.csv")
	png := filepath.Join(dir, "merged.png")
	table, _, _ := runCLI(t, "", append(args, "--csv", csvWant)...)
	var three []string
	for _, n := range []int{1, 2, 3, 7} {
		parts := writeShards(t, args, n, dir)
		if n == 3 {
			three = parts
		}
		shuffled := append(parts[1:], parts[0]) // any order
		out, errs, code := runCLI(t, "", append([]string{"perplexity", "merge", "--json"}, shuffled...)...)
		if code != 0 {
			t.Fatalf("merge of %d: exit %d: %s", n, code, errs)
		}
		if got := untimedJSON(t, out); !slices.Equal(got, want) {
			t.Errorf("%d shards merged:\n%s\nunsharded:\n%s", n, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	merged, errs, code := runCLI(t, "", append([]string{"perplexity", "merge", "--csv", csvGot, "--plot", png}, three...)...)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, errs)
	}
	untimedCSV := func(path string) []string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			f := strings.Split(l, ",")
			rows = append(rows, strings.Join(slices.Concat(f[:13], f[16:17], f[19:]), ","))
		}
		return rows
	}
	if g, w := untimedCSV(csvGot), untimedCSV(csvWant); !slices.Equal(g, w) || len(g) != 3 {
		t.Errorf("merged CSV:\n%s\nunsharded:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("merge --plot: not a PNG (%v)", err)
	}
	if g, w := untimedTable(merged), untimedTable(table); !slices.Equal(g, w) {
		t.Errorf("merged table:\n%s\nunsharded:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}

	part1, err := os.ReadFile(three[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  []string
		args []string
		says string
	}{
		{nil, []string{"--shard", "1/3"}, ""},
		{[]string{"JOB_COMPLETION_INDEX=1"}, []string{"--shard", "auto", "--shard-count", "3"}, "JOB_COMPLETION_INDEX=1 (Kubernetes Indexed Job)"},
		{[]string{"SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_MIN=4", "SLURM_ARRAY_TASK_COUNT=3"}, []string{"--shard", "auto"}, "SLURM_ARRAY_TASK_ID=5, SLURM_ARRAY_TASK_MIN=4 (Slurm job array of 3 tasks)"},
	} {
		p := filepath.Join(dir, "again.json")
		_, errs, code := runCLIEnv(t, append([]string{}, c.env...), "", append(append(args, c.args...), "--out-part", p)...)
		got, _ := os.ReadFile(p)
		if code != 0 || !bytes.Equal(got, part1) {
			t.Errorf("%v %v: exit %d (%s), part equal to shard 1/3's: %v", c.env, c.args, code, errs, bytes.Equal(got, part1))
		}
		if c.says != "" && !strings.Contains(errs, "shard 1/3 from "+c.says) {
			t.Errorf("%v: stderr %q does not say %q", c.env, errs, c.says)
		}
	}
}

// TestShardedLlamaCpp: under the llamacpp protocol merge also prints the
// running "[i]ppl," estimate and the final estimate as the unsharded run.
func TestShardedLlamaCpp(t *testing.T) {
	text, _, _ := pplData(t)
	args := []string{"perplexity", "--model", tinyModel(t), "--file", text, "--ctx", "16", "--protocol", "llamacpp", "--chunks", "5"}
	want, errs, code := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	parts := writeShards(t, args, 2, t.TempDir())
	got, errs, code := runCLI(t, "", append([]string{"perplexity", "merge"}, parts...)...)
	if code != 0 || !strings.Contains(got, "[5]") || !strings.Contains(got, "Final estimate: PPL = ") {
		t.Fatalf("merge: exit %d: %s%s", code, got, errs)
	}
	if g, w := untimedTable(got), untimedTable(want); !slices.Equal(g, w) {
		t.Errorf("merged:\n%s\nunsharded:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

// TestPerplexityMergeRefuses: merge names the missing units and shards,
// the duplicated ones, a field of the identity that differs, another
// shard count, and part files that are corrupt, truncated or too large.
func TestPerplexityMergeRefuses(t *testing.T) {
	args := shardRun(t)
	dir := t.TempDir()
	parts := writeShards(t, args, 3, dir)
	halves := writeShards(t, args, 2, dir)
	other := filepath.Join(dir, "seed43.json")
	if _, errs, code := runCLI(t, "", append(args, "--seed", "43", "--shard", "2/3", "--out-part", other)...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	edit := func(name string, from string, change func(p *pplPart)) string {
		p, err := readPartFile(from)
		if err != nil {
			t.Fatal(err)
		}
		change(p)
		path := filepath.Join(dir, name)
		if err := writePart(path, p); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p0, err := readPartFile(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	stolen := edit("stolen.json", parts[1], func(p *pplPart) {
		p.Units = append(p.Units, p0.Units[0])
		slices.SortFunc(p.Units, func(a, b eval.SpanResult) int { return a.Unit - b.Unit })
	})
	short := edit("short.json", parts[2], func(p *pplPart) { p.Units = p.Units[1:] })
	whole, _ := os.ReadFile(parts[0])
	file := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		write(t, path, data)
		return path
	}
	truncated := file("truncated.json", whole[:len(whole)/2])
	garbage := file("garbage.json", []byte("hello\n"))
	trailing := file("trailing.json", append(bytes.TrimSpace(whole), []byte(" {}")...))
	foreign := file("foreign.json", bytes.Replace(whole, []byte(partFormat), []byte("gollm perplexity part 0"), 1))
	for _, c := range []struct {
		name  string
		parts []string
		want  []string
	}{
		{"missing shard", parts[:2], []string{"units are missing", "no part for shard 2/3"}},
		{"missing unit", []string{parts[0], parts[1], short}, []string{"1 of the run's 45 units are missing", "fewer units"}},
		{"duplicate unit", []string{parts[0], stolen, parts[2]}, []string{fmt.Sprintf("unit %d is in both", p0.Units[0].Unit), "stolen.json"}},
		{"duplicate shard", []string{parts[0], parts[1], parts[1]}, []string{"are both shard 1/3"}},
		{"other identity", []string{parts[0], parts[1], other}, []string{"parts of different runs", "settings", "seed43.json"}},
		{"other count", []string{parts[0], parts[1], halves[1]}, []string{"different numbers of shards", "1/2"}},
		{"truncated", []string{parts[0], truncated}, []string{"truncated.json", "truncated"}},
		{"garbage", []string{garbage}, []string{"garbage.json", "not a part file"}},
		{"trailing data", []string{trailing}, []string{"data after its JSON object"}},
		{"other format", []string{foreign}, []string{"gollm perplexity part 0"}},
		{"no such file", []string{filepath.Join(dir, "nope.json")}, []string{"nope.json"}},
		{"no parts", nil, []string{"give the part files"}},
	} {
		out, errs, code := runCLI(t, "", append([]string{"perplexity", "merge"}, c.parts...)...)
		if code == 0 {
			t.Errorf("%s: exit 0: %s", c.name, out)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%s: error %q does not say %q", c.name, strings.TrimSpace(errs), w)
			}
		}
	}
	if _, err := readPart(bytes.NewReader(whole), 100); err == nil || !errors.Is(err, readlimit.ErrTooLarge) {
		t.Errorf("a part past the size limit: %v", err)
	}
}

// TestShardFlag: --shard i/N and auto, from each engine's variables, and
// their errors.
func TestShardFlag(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, c := range []struct {
		flag  string
		count int
		env   func(string) string
		want  shardSpec
		err   string
	}{
		{"0/1", 0, env(), shardSpec{0, 1}, ""},
		{"2/3", 0, env(), shardSpec{2, 3}, ""},
		{"0/0", 0, env(), shardSpec{}, "count must be ≥ 1"},
		{"3/2", 0, env(), shardSpec{}, "index 3 is out of range 0..1"},
		{"-1/2", 0, env(), shardSpec{}, "index -1 is out of range"},
		{"abc", 0, env(), shardSpec{}, `"abc": want i/N`},
		{"1/2/3", 0, env(), shardSpec{}, "want i/N"},
		{"1/2", 2, env(), shardSpec{}, "--shard-count goes with --shard auto"},
		{"auto", 0, env(), shardSpec{}, "neither JOB_COMPLETION_INDEX"},
		{"auto", 3, env("JOB_COMPLETION_INDEX", "2"), shardSpec{2, 3}, ""},
		{"auto", 0, env("JOB_COMPLETION_INDEX", "2"), shardSpec{}, "needs --shard-count N"},
		{"auto", 3, env("JOB_COMPLETION_INDEX", "3"), shardSpec{}, "out of range 0..2"},
		{"auto", 3, env("JOB_COMPLETION_INDEX", "x"), shardSpec{}, "not an index"},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "3"), shardSpec{1, 3}, ""},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_COUNT", "3"), shardSpec{2, 3}, ""},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "4", "SLURM_ARRAY_TASK_STEP", "2", "SLURM_ARRAY_TASK_COUNT", "3"), shardSpec{2, 3}, ""},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_STEP", "2", "SLURM_ARRAY_TASK_COUNT", "3"), shardSpec{}, "evenly spaced"},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_COUNT", "3"), shardSpec{}, "out of range 0..2"},
		{"auto", 4, env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "3"), shardSpec{}, "--shard-count 4, but the array has"},
		{"auto", 3, env("SLURM_ARRAY_TASK_ID", "1"), shardSpec{1, 3}, ""},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "1"), shardSpec{}, "SLURM_ARRAY_TASK_COUNT is not set"},
		{"auto", 3, env("SLURM_ARRAY_TASK_ID", "1", "JOB_COMPLETION_INDEX", "1"), shardSpec{}, "both"},
	} {
		got, note, err := resolveShard(c.flag, c.count, c.env)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("--shard %s (count %d): %v, %v; want %v", c.flag, c.count, got, err, c.want)
		case c.err == "" && c.flag == "auto" && !strings.Contains(note, "shard "+c.want.String()+" from "):
			t.Errorf("--shard auto: note %q", note)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("--shard %s (count %d): error %v, want %q", c.flag, c.count, err, c.err)
		}
	}
	// On the command line: the flag's errors and the flags a shard refuses.
	dir := tinyModel(t)
	text, _, _ := pplData(t)
	part := filepath.Join(t.TempDir(), "p.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--shard", "3/2", "--out-part", part}, "out of range"},
		{[]string{"--shard", "abc", "--out-part", part}, "want i/N"},
		{[]string{"--shard", "auto", "--out-part", part}, "neither JOB_COMPLETION_INDEX"},
		{[]string{"--shard", "0/2"}, "needs --out-part"},
		{[]string{"--shard", "0/2", "--out-part", part, "--json"}, "--json does not go with --shard"},
		{[]string{"--out-part", part, "--csv", "x.csv"}, "--csv does not go with --shard"},
		{[]string{"--shard-count", "3"}, "--shard-count goes with --shard auto"},
	} {
		_, errs, code := runCLIEnv(t, []string{}, "", append([]string{"perplexity", "--model", dir, "--file", text, "--ctx", "32"}, c.args...)...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, errs, c.want)
		}
	}
}
