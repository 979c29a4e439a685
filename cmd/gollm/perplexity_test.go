package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pplData writes a text file, a folder of two texts and a JSONL file for
// the tiny model and returns their paths.
func pplData(t *testing.T) (text, folder, jsonl string) {
	dir := t.TempDir()
	body := strings.Repeat("the quick brown fox jumps over the lazy dog. ", 10)
	text = filepath.Join(dir, "a.txt")
	write(t, text, []byte(body))
	folder = filepath.Join(dir, "docs")
	os.Mkdir(folder, 0o755)
	write(t, filepath.Join(folder, "1.txt"), []byte(body))
	write(t, filepath.Join(folder, "2.txt"), []byte(body[:100]))
	jsonl = filepath.Join(dir, "lb.jsonl")
	line, _ := json.Marshal(map[string]string{"context": body, "input": "q"})
	short, _ := json.Marshal(map[string]string{"context": "too short", "input": "q"})
	write(t, jsonl, []byte(string(line)+"\n"+string(short)+"\n"))
	return text, folder, jsonl
}

func TestPerplexitySweepJSON(t *testing.T) {
	dir := tinyModel(t)
	text, folder, jsonl := pplData(t)
	out, errs, code := runCLI(t, "", "perplexity", "--model", dir, "--file", text, "--data", folder, "--data", jsonl,
		"--ctx", "32", "--hyper-layers", "0,1", "--repeats", "2", "--hyper-min-seq", "8", "--hyper-block", "4",
		"--hyper-samples", "4", "--kl", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines, want one per setting (2):\n%s", len(lines), out)
	}
	for i, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d %q: %v", i, l, err)
		}
		for _, k := range []string{"ppl", "mean_nll", "tokens_scored", "hyper_layers", "seconds", "ppl_base2", "doc_ppl"} {
			if _, ok := r[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i, k, l)
			}
		}
		if int(r["hyper_layers"].(float64)) != i {
			t.Errorf("line %d: hyper_layers %v, want %d (the order given)", i, r["hyper_layers"], i)
		}
		// 450 + 450 + 100 + 450 bytes: 14 + 14 + 3 + 14 windows of 32, 31 targets each.
		if int(r["tokens_scored"].(float64)) != 45*31 || int(r["docs"].(float64)) != 4 {
			t.Errorf("line %d: %v tokens over %v documents, want %d over 4", i, r["tokens_scored"], r["docs"], 45*31)
		}
		seeds := r["seeds"].([]any)
		if _, hasKL := r["kl"]; (i == 1) != hasKL || len(seeds) != 1+i {
			t.Errorf("line %d: seeds %v, kl present %v", i, seeds, hasKL)
		}
	}
}

func TestPerplexityTableAndFiles(t *testing.T) {
	dir := tinyModel(t)
	text, _, _ := pplData(t)
	csv := filepath.Join(t.TempDir(), "out.csv")
	png := filepath.Join(t.TempDir(), "out.png")
	out, errs, code := runCLI(t, "", "perplexity", "--model", dir, "--file", text, "--ctx", "16", "--protocol", "llamacpp",
		"--chunks", "3", "--csv", csv, "--plot", png)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "PPL = ") {
		t.Errorf("last line %q, want PPL = X", lines[len(lines)-1])
	}
	if !strings.Contains(out, "[1]") || !strings.Contains(out, "[3]") || !strings.Contains(out, "Final estimate: PPL = ") {
		t.Errorf("llamacpp output lacks the [i]ppl, progress or the final estimate:\n%s", out)
	}
	if b, err := os.ReadFile(csv); err != nil || !strings.HasPrefix(string(b), "hyper_layers,") || strings.Count(string(b), "\n") != 2 {
		t.Errorf("csv: %q, %v", b, err)
	}
	if b, err := os.ReadFile(png); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("plot: not a PNG (%v)", err)
	}
}

func TestPerplexityBadData(t *testing.T) {
	dir := tinyModel(t)
	text, _, jsonl := pplData(t)
	tmp := t.TempDir()
	broken := filepath.Join(tmp, "broken.jsonl")
	write(t, broken, []byte(`{"context": "`+strings.Repeat("abc ", 20)+`"}`+"\n{\"context\": \n"))
	empty := filepath.Join(tmp, "empty.jsonl")
	write(t, empty, nil)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing file", []string{"--file", filepath.Join(tmp, "nope.txt")}, []string{"nope.txt", "no such file"}},
		{"broken JSONL line", []string{"--data", broken}, []string{"broken.jsonl:2", "--skip-bad"}},
		{"empty dataset", []string{"--data", empty}, []string{"empty.jsonl", "no documents"}},
		{"no data", nil, []string{"--file", "--data"}},
		{"paper, all too short", []string{"--data", jsonl, "--protocol", "paper", "--ctx", "64", "--field", "input"}, []string{"nothing to score", "64"}},
		{"unknown protocol", []string{"--file", text, "--protocol", "hf"}, []string{"hf", "windows"}},
		{"bad layer list", []string{"--file", text, "--hyper-layers", "0,x"}, []string{"--hyper-layers", "x"}},
		{"windows and chunks", []string{"--file", text, "--windows", "2", "--chunks", "3"}, []string{"--windows", "--chunks"}},
	} {
		args := append([]string{"perplexity", "--model", dir, "--ctx", "32"}, c.args...)
		out, errs, code := runCLI(t, "", args...)
		if code == 0 {
			t.Errorf("%s: exit 0, want an error (stdout %q)", c.name, out)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%s: error %q does not mention %q", c.name, strings.TrimSpace(errs), w)
			}
		}
	}
	out, errs, code := runCLI(t, "", "perplexity", "--model", dir, "--ctx", "32", "--data", broken, "--skip-bad")
	if code != 0 || !strings.Contains(out, "skipped 1 bad JSONL lines") {
		t.Errorf("--skip-bad: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	out, errs, code = runCLI(t, "", "perplexity", "--model", dir, "--data", jsonl, "--protocol", "paper", "--ctx", "64")
	if code != 0 || !strings.Contains(out, "skipped 1 document ") {
		t.Errorf("paper with one short document: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestPerplexityDecodeLast: --decode-last M scores M targets per window
// through decode steps, with and without --hyper-decode, compared by --kl.
func TestPerplexityDecodeLast(t *testing.T) {
	dir := tinyModel(t)
	text, _, _ := pplData(t)
	for _, hd := range []string{"--hyper-decode=false", "--hyper-decode"} {
		out, errs, code := runCLI(t, "", "perplexity", "--model", dir, "--file", text, "--ctx", "32", "--windows", "2",
			"--hyper-layers", "0,1", "--hyper-min-seq", "8", "--hyper-block", "4", "--hyper-samples", "4",
			"--decode-last", "12", "--kl", "--json", hd)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", hd, code, errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var r map[string]any
		if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &r) != nil {
			t.Fatalf("%s: want two JSON lines:\n%s", hd, out)
		}
		if int(r["tokens_scored"].(float64)) != 2*12 {
			t.Errorf("%s: %v targets scored, want 24", hd, r["tokens_scored"])
		}
		if sub := strings.Contains(r["plan"].(string), "decode=sublinear"); sub != (hd == "--hyper-decode") {
			t.Errorf("%s: plan %q", hd, r["plan"])
		}
	}
}

// TestCalibrate runs perplexity --calibrate on the embedded model: the file
// ranks every layer once, its table has a row per layer, and --attn-plan
// then runs; a bad file and a sweep with --calibrate are refused.
func TestCalibrate(t *testing.T) {
	dir := t.TempDir()
	cal := filepath.Join(dir, "cal.json")
	args := []string{"perplexity", "--file", "../../testdata/heldout.txt", "--ctx", "256", "--windows", "1", "--hyper-min-seq", "64", "--hyper-block", "32"}
	out, errs, code := runCLI(t, "", append(args, "--calibrate", cal)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(cal)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Ranked []int `json:"ranked"`
		Layers []struct {
			MeanKL float64 `json:"mean_kl"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	sorted := slices.Sorted(slices.Values(c.Ranked))
	if !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5}) || len(c.Layers) != 6 || strings.Count(out, "\n") != 7 {
		t.Fatalf("ranking %v, %d layers, table %q", c.Ranked, len(c.Layers), out)
	}
	for i := 1; i < 6; i++ {
		if c.Layers[c.Ranked[i]].MeanKL < c.Layers[c.Ranked[i-1]].MeanKL {
			t.Errorf("ranking %v not by KL: %+v", c.Ranked, c.Layers)
		}
	}
	// --attn-plan makes the ranking the default pattern.
	js, errs, code := runCLI(t, "", append(args, "--attn-plan", cal, "--hyper-layers", "2", "--json")...)
	var row struct {
		Pattern string `json:"pattern"`
		Plan    string `json:"plan"`
	}
	if code != 0 || json.Unmarshal([]byte(js), &row) != nil || row.Pattern != "calibrated" {
		t.Errorf("--attn-plan: exit %d, %q: %s", code, js, errs)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"ranked": []}`), 0o644)
	for _, extra := range [][]string{{"--attn-plan", bad, "--hyper-layers", "2"}, {"--calibrate", cal, "--hyper-layers", "0,2"}} {
		if _, errs, code := runCLI(t, "", append(args, extra...)...); code != 1 {
			t.Errorf("%v: exit %d, %q", extra, code, errs)
		}
	}
}
