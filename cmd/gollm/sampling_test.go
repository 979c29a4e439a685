package main

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runJSON runs gollm run --json on the embedded default model and decodes
// its result; raw is the JSON line as printed.
func runJSON(t *testing.T, args ...string) (res runResult, raw string) {
	t.Helper()
	args = append(append([]string{"run", "--json"}, args...), "Once upon a time")
	out, errs, code := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("gollm %q: exit %d: %s", args, code, errs)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("gollm %q printed %q: %v", args, out, err)
	}
	return res, out
}

// greedy turns off the default model's sampling and repetition penalty
// (its generation_config.json), so the raw argmax is chosen.
var greedy = []string{"--temperature", "0", "--repeat-penalty", "1"}

// TestRunLogprobs: one entry per generated token, its id and logprob the
// token's, N alternatives most likely first, all ≤ 0, and under greedy
// decoding the chosen token is the first of them.
func TestRunLogprobs(t *testing.T) {
	const n, top = 4, 3
	res, _ := runJSON(t, append(greedy, "--max-tokens", "4", "--logprobs", "3")...)
	if len(res.IDs) != n || len(res.Logprobs) != n {
		t.Fatalf("%d ids and %d logprobs entries, want %d each", len(res.IDs), len(res.Logprobs), n)
	}
	for i, e := range res.Logprobs {
		if e.ID != res.IDs[i] || e.Token == "" || e.Logprob > 0 {
			t.Errorf("entry %d: %+v for id %d: want that id, its text and a logprob ≤ 0", i, e.tokenLogprob, res.IDs[i])
		}
		if len(e.Top) != top {
			t.Fatalf("entry %d: %d top_logprobs, want %d", i, len(e.Top), top)
		}
		if e.Top[0].ID != e.ID || e.Top[0].Logprob != e.Logprob {
			t.Errorf("entry %d: greedy chose %d (%g) but the most likely is %+v", i, e.ID, e.Logprob, e.Top[0])
		}
		for k, a := range e.Top {
			if a.Logprob > 0 || k > 0 && a.Logprob > e.Top[k-1].Logprob || a.Token == "" {
				t.Errorf("entry %d: top_logprobs %+v: want text, logprobs ≤ 0, most likely first", i, e.Top)
				break
			}
		}
	}

	// A +100 bias makes id 42 the choice, but logprobs are the model's
	// own: the first step's alternatives are those of the unbiased run.
	biased, _ := runJSON(t, append(greedy, "--max-tokens", "1", "--logprobs", "3", "--logit-bias", "42=100")...)
	if len(biased.Logprobs) != 1 {
		t.Fatalf("biased run: %d logprobs entries, want 1", len(biased.Logprobs))
	}
	b := biased.Logprobs[0]
	if b.ID != 42 || !slices.Equal(b.Top, res.Logprobs[0].Top) || b.Logprob >= b.Top[top-1].Logprob {
		t.Errorf("biased run: entry %+v; want id 42 with its unbiased logprob (below the top %d) and the unbiased top %+v",
			b, top, res.Logprobs[0].Top)
	}

	// --logprobs 0: the chosen token's logprob and an empty list; no flag: no key
	_, raw := runJSON(t, append(greedy, "--max-tokens", "2", "--logprobs", "0")...)
	if strings.Count(raw, `"top_logprobs":[]`) != 2 {
		t.Errorf("--logprobs 0 printed %s; want two entries with \"top_logprobs\":[]", raw)
	}
	if _, raw := runJSON(t, "--max-tokens", "2"); strings.Contains(raw, "logprobs") {
		t.Errorf("without --logprobs the result has logprobs: %s", raw)
	}
}

// TestRunLogitBiasAndIgnoreEOS: a +100 bias decides every step, also when
// the model's sampling settings apply; a bias on EOS ends generation at
// once unless --ignore-eos.
func TestRunLogitBiasAndIgnoreEOS(t *testing.T) {
	res, _ := runJSON(t, "--max-tokens", "5", "--seed", "3", "--logit-bias", "42=100")
	if !slices.Equal(res.IDs, []int{42, 42, 42, 42, 42}) || res.Text != "KKKKK" {
		t.Errorf("--logit-bias 42=100: ids %v, text %q; want five 42s, \"KKKKK\"", res.IDs, res.Text)
	}
	const eos = 50256
	bias := []string{"--max-tokens", "3", "--logit-bias", "42=50", "--logit-bias", "50256=100"}
	res, _ = runJSON(t, bias...)
	if len(res.IDs) != 0 || res.Stopped != "eos" {
		t.Errorf("bias on EOS: ids %v, stopped %q; want none, eos", res.IDs, res.Stopped)
	}
	res, _ = runJSON(t, append(bias, "--ignore-eos")...)
	if !slices.Equal(res.IDs, []int{eos, eos, eos}) || res.Stopped != "max_tokens" {
		t.Errorf("bias on EOS with --ignore-eos: ids %v, stopped %q; want three %d, max_tokens", res.IDs, res.Stopped, eos)
	}
}

// TestSamplingFlagsRefused: every sampling value out of range is refused
// before generating, with an error naming the flag.
func TestSamplingFlagsRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--temperature", "-1", "hi"}, "run: --temperature must be a finite number ≥ 0, got -1"},
		{[]string{"run", "--temperature", "NaN", "hi"}, "run: --temperature must be a finite number ≥ 0, got NaN"},
		{[]string{"run", "--temperature", "Inf", "hi"}, "run: --temperature must be"},
		{[]string{"run", "--top-p", "0", "hi"}, "run: --top-p must be in (0, 1], got 0"},
		{[]string{"run", "--top-p", "1.5", "hi"}, "run: --top-p must be in (0, 1], got 1.5"},
		{[]string{"run", "--min-p", "2", "hi"}, "run: --min-p must be a finite number in [0, 1], got 2"},
		{[]string{"run", "--top-k", "-1", "hi"}, "run: --top-k must be ≥ 0, got -1"},
		{[]string{"run", "--repeat-penalty", "-1", "hi"}, "run: --repeat-penalty must be"},
		{[]string{"run", "--presence-penalty", "2.5", "hi"}, "run: --presence-penalty must be a finite number in [-2, 2], got 2.5"},
		{[]string{"run", "--frequency-penalty", "-3", "hi"}, "run: --frequency-penalty must be a finite number in [-2, 2], got -3"},
		{[]string{"run", "--logit-bias", "abc", "hi"}, `run: --logit-bias "abc": want ID=BIAS`},
		{[]string{"run", "--logit-bias", "5=x", "hi"}, `run: --logit-bias "5=x": want ID=BIAS`},
		{[]string{"run", "--logit-bias", "99999999=1", "hi"}, "run: --logit-bias: token id 99999999 is not in the vocabulary [0, 50257)"},
		{[]string{"run", "--logit-bias", "-1=1", "hi"}, "run: --logit-bias: token id -1 is not in the vocabulary"},
		{[]string{"run", "--logit-bias", "5=101", "hi"}, "run: --logit-bias for token 5 must be a finite number in [-100, 100], got 101"},
		{[]string{"run", "--json", "--logprobs", "21", "hi"}, "run: --logprobs must be in [0, 20], got 21"},
		{[]string{"run", "--json", "--logprobs", "-1", "hi"}, "run: --logprobs must be in [0, 20], got -1"},
		{[]string{"run", "--logprobs", "2", "hi"}, "run: --logprobs needs --json"},
		{[]string{"chat", "--temperature", "-1"}, "chat: --temperature must be"},
		{[]string{"chat", "--logit-bias", "99999999=1"}, "chat: --logit-bias: token id 99999999"},
		{[]string{"chat", "--logprobs", "2"}, "unknown flag: --logprobs"},
	} {
		out, errs, code := runCLI(t, "hi\n", c.args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if last := lines[len(lines)-1]; code != 1 || out != "" || last != "gollm: "+c.want && !strings.HasPrefix(last, "gollm: "+c.want) {
			t.Errorf("gollm %q: exit %d, stdout %q, last stderr line %q; want exit 1 and %q", c.args, code, out, last, "gollm: "+c.want)
		}
	}
}

// TestSamplerConfigFlags: the new flags reach SamplerConfig; a repeated
// --logit-bias for one id keeps the last.
func TestSamplerConfigFlags(t *testing.T) {
	var gf genFlags
	cmd := &cobra.Command{}
	gf.register(cmd.Flags())
	if err := cmd.Flags().Parse([]string{"--presence-penalty", "0.5", "--frequency-penalty", "-1", "--ignore-eos",
		"--logit-bias", "5=-3.5", "--logit-bias", " 7 = 2", "--logit-bias", "5=1", "--top-p", "0.9"}); err != nil {
		t.Fatal(err)
	}
	sc, err := samplerConfig(cmd, gf, nil, 9, 10)
	if err != nil {
		t.Fatal(err)
	}
	if sc.PresencePenalty != 0.5 || sc.FrequencyPenalty != -1 || sc.TopP != 0.9 || sc.Seed != 9 || !gf.ignoreEOS ||
		!maps.Equal(sc.LogitBias, map[int]float64{5: 1, 7: 2}) {
		t.Errorf("config %+v, ignore-eos %v", sc, gf.ignoreEOS)
	}
	if _, err := samplerConfig(cmd, gf, nil, 9, 7); err == nil || !strings.Contains(err.Error(), "--logit-bias: token id 7") {
		t.Errorf("bias on id 7 of a 7-token vocabulary: %v", err)
	}
}
