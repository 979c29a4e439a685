package model

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

func randomLogits(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 3)
	}
	return x
}

// next runs one sampler step on a copy of logits and returns the id and the
// logits as the sampler left them.
func next(cfg SamplerConfig, logits []float32, prompt, generated []int) (int, []float32) {
	l := slices.Clone(logits)
	return NewSampler(cfg).Next(l, prompt, generated), l
}

func closeTo(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-5 }

func TestSamplerGreedyIsArgmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 2, 17, 1000} {
		for range 20 {
			logits := randomLogits(rng, n)
			want := 0
			for i, v := range logits {
				if v > logits[want] {
					want = i
				}
			}
			got, after := next(SamplerConfig{}, logits, []int{0}, nil)
			if got != want {
				t.Fatalf("n=%d: greedy picked %d (%g), argmax is %d (%g)", n, got, logits[got], want, logits[want])
			}
			if !slices.Equal(after, logits) {
				t.Fatalf("n=%d: greedy with no penalty changed the logits", n)
			}
			// top-k 1 leaves the draw nothing else to pick
			if got, _ := next(SamplerConfig{Temperature: 1.5, TopK: 1, Seed: 7}, logits, nil, nil); got != want {
				t.Fatalf("n=%d: top_k 1 drew %d, argmax is %d", n, got, want)
			}
		}
	}
	if got, _ := next(SamplerConfig{}, []float32{1, 3, 3, 2}, nil, nil); got != 1 {
		t.Errorf("tie: greedy picked %d, want the first maximum, 1", got)
	}
}

func TestSamplerLogitBias(t *testing.T) {
	logits := []float32{0, 5, 4, -1}
	got, after := next(SamplerConfig{LogitBias: map[int]float64{2: 2}}, logits, nil, nil)
	if got != 2 || !slices.Equal(after, []float32{0, 5, 6, -1}) {
		t.Errorf("bias +2 on id 2: picked %d, logits %v; want 2, [0 5 6 -1]", got, after)
	}
	got, _ = next(SamplerConfig{LogitBias: map[int]float64{1: -100, 2: -100}}, logits, nil, nil)
	if got != 0 {
		t.Errorf("bias -100 on ids 1 and 2: picked %d, want 0", got)
	}
	got, _ = next(SamplerConfig{Temperature: 1, LogitBias: map[int]float64{3: 100}}, logits, nil, nil)
	if got != 3 {
		t.Errorf("bias +100 on id 3 when sampling: drew %d, want 3", got)
	}
	// ids outside the logits are Validate's to refuse; Next skips them
	if got, after := next(SamplerConfig{LogitBias: map[int]float64{-1: 50, 4: 50}}, logits, nil, nil); got != 1 || !slices.Equal(after, logits) {
		t.Errorf("bias on ids outside the vocabulary: picked %d, logits %v", got, after)
	}
}

// TestPresenceFrequencyPenalty checks OpenAI's definition on the logits
// the sampler leaves: logit[j] −= count[j]·frequency + (count[j] > 0)·presence,
// count over the generated ids only.
func TestPresenceFrequencyPenalty(t *testing.T) {
	logits := []float32{1, 2, 3, 4, 5, 6}
	prompt := []int{0, 0, 5, 3}
	generated := []int{1, 1, 1, 2, 4, 3}
	count := []int{0, 3, 1, 1, 1, 0}
	for _, c := range []struct{ presence, frequency float64 }{
		{0.5, 0}, {0, 0.25}, {0.5, 0.25}, {-1, 2}, {2, -2},
	} {
		_, after := next(SamplerConfig{PresencePenalty: c.presence, FrequencyPenalty: c.frequency}, logits, prompt, generated)
		for j, v := range logits {
			want := float64(v) - float64(count[j])*c.frequency
			if count[j] > 0 {
				want -= c.presence
			}
			if !closeTo(after[j], float32(want)) {
				t.Errorf("presence %g frequency %g: logit[%d] = %g, want %g (count %d)", c.presence, c.frequency, j, after[j], want, count[j])
			}
		}
	}
	// the prompt alone changes nothing
	if _, after := next(SamplerConfig{PresencePenalty: 1, FrequencyPenalty: 1}, logits, prompt, nil); !slices.Equal(after, logits) {
		t.Errorf("penalties with nothing generated changed the logits to %v", after)
	}
	// the penalty can flip the choice: id 5 (6) is the argmax until generated twice
	if got, _ := next(SamplerConfig{FrequencyPenalty: 1}, logits, nil, []int{5, 5}); got != 4 {
		t.Errorf("frequency penalty 1 after two 5s: picked %d, want 4", got)
	}
}

// TestRepetitionPenalty: HF divides a positive logit by the penalty and
// multiplies a negative one, once per distinct id of prompt and generated.
func TestRepetitionPenalty(t *testing.T) {
	logits := []float32{2, -2, 4, -4, 1, 3}
	_, after := next(SamplerConfig{RepetitionPenalty: 2}, logits, []int{0, 0, 1}, []int{1, 2, 2, 2})
	want := []float32{1, -4, 2, -4, 1, 3}
	if !slices.Equal(after, want) {
		t.Errorf("repetition penalty 2: logits %v, want %v", after, want)
	}
	if _, after := next(SamplerConfig{RepetitionPenalty: 1}, logits, []int{0, 1, 2}, []int{3}); !slices.Equal(after, logits) {
		t.Errorf("repetition penalty 1 changed the logits to %v", after)
	}
}

// TestPenaltyOrder pins the order of the logit changes, vLLM's: bias, then
// the repetition penalty, then presence and frequency.
func TestPenaltyOrder(t *testing.T) {
	cfg := SamplerConfig{LogitBias: map[int]float64{0: 2}, RepetitionPenalty: 2, PresencePenalty: 1, FrequencyPenalty: 0.5}
	_, after := next(cfg, []float32{4, 0}, nil, []int{0})
	// (4 + 2) / 2 − 1 − 0.5
	if !closeTo(after[0], 1.5) {
		t.Errorf("bias 2, repetition 2, presence 1, frequency 0.5 on logit 4: %g, want (4+2)/2-1-0.5 = 1.5", after[0])
	}
}

func TestSamplerValidate(t *testing.T) {
	const vocab = 10
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []SamplerConfig{
		{},
		{TopP: 1},
		{TopP: 0, MinP: 1, RepetitionPenalty: 1},
		{Temperature: 0.7, TopK: 40, TopP: 0.9, MinP: 0.05, RepetitionPenalty: 1.15, Seed: 3},
		{Temperature: 1e6, PresencePenalty: -2, FrequencyPenalty: 2, LogitBias: map[int]float64{0: -100, vocab - 1: 100}},
		{PresencePenalty: 2, FrequencyPenalty: -2, LogitBias: map[int]float64{}},
	} {
		if err := c.Validate(vocab); err != nil {
			t.Errorf("%+v: %v, want accepted", c, err)
		}
	}
	for _, c := range []struct {
		cfg   SamplerConfig
		field string
	}{
		{SamplerConfig{Temperature: -1}, "temperature"},
		{SamplerConfig{Temperature: -1e-9}, "temperature"},
		{SamplerConfig{Temperature: nan}, "temperature"},
		{SamplerConfig{Temperature: inf}, "temperature"},
		{SamplerConfig{Temperature: -inf}, "temperature"},
		{SamplerConfig{TopP: -0.1}, "top_p"},
		{SamplerConfig{TopP: 1.0000001}, "top_p"},
		{SamplerConfig{TopP: nan}, "top_p"},
		{SamplerConfig{MinP: -0.01}, "min_p"},
		{SamplerConfig{MinP: 2}, "min_p"},
		{SamplerConfig{MinP: nan}, "min_p"},
		{SamplerConfig{TopK: -1}, "top_k"},
		{SamplerConfig{RepetitionPenalty: -1}, "repetition_penalty"},
		{SamplerConfig{RepetitionPenalty: inf}, "repetition_penalty"},
		{SamplerConfig{PresencePenalty: 2.01}, "presence_penalty"},
		{SamplerConfig{PresencePenalty: -2.01}, "presence_penalty"},
		{SamplerConfig{PresencePenalty: nan}, "presence_penalty"},
		{SamplerConfig{FrequencyPenalty: 3}, "frequency_penalty"},
		{SamplerConfig{FrequencyPenalty: -inf}, "frequency_penalty"},
		{SamplerConfig{LogitBias: map[int]float64{-1: 1}}, "logit_bias"},
		{SamplerConfig{LogitBias: map[int]float64{vocab: 1}}, "logit_bias"},
		{SamplerConfig{LogitBias: map[int]float64{3: 100.5}}, "logit_bias"},
		{SamplerConfig{LogitBias: map[int]float64{3: -101}}, "logit_bias"},
		{SamplerConfig{LogitBias: map[int]float64{3: nan}}, "logit_bias"},
	} {
		err := c.cfg.Validate(vocab)
		if err == nil || !strings.HasPrefix(err.Error(), c.field) {
			t.Errorf("%+v: error %v, want one starting %q", c.cfg, err, c.field)
		}
	}
}

// refLogprobs is the obvious log-softmax in float64 and a full sort, most
// likely first, ties by lower id.
func refLogprobs(logits []float32) ([]float64, []int) {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v) - mx)
	}
	lp := make([]float64, len(logits))
	for i, v := range logits {
		lp[i] = float64(v) - mx - math.Log(sum)
	}
	order := make([]int, len(logits))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		x, y := logits[order[a]], logits[order[b]]
		return x > y || x == y && order[a] < order[b]
	})
	return lp, order
}

func TestLogprobs(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, n := range []int{1, 2, 7, 100, 4096} {
		for _, kind := range []string{"normal", "ties", "offset"} {
			logits := randomLogits(rng, n)
			for i := range logits {
				switch kind {
				case "ties": // few distinct values: most tokens tie
					logits[i] = float32(rng.IntN(4))
				case "offset": // exp overflows without the max subtracted
					logits[i] += 1000
				}
			}
			lp, order := refLogprobs(logits)
			var total float64
			for _, v := range lp {
				total += math.Exp(v)
			}
			if math.Abs(total-1) > 1e-9 {
				t.Fatalf("reference broken: probabilities sum to %g", total)
			}
			for _, top := range []int{0, 1, 5, 20, n, n + 3} {
				id := rng.IntN(n)
				got, best := Logprobs(logits, id, top)
				if math.Abs(got-lp[id]) > 1e-9 || got > 0 {
					t.Fatalf("n=%d %s top=%d: logprob of %d = %g, want %g", n, kind, top, id, got, lp[id])
				}
				want := min(top, n)
				if len(best) != want {
					t.Fatalf("n=%d %s top=%d: %d entries, want %d", n, kind, top, len(best), want)
				}
				for k, b := range best {
					if b.ID != order[k] || math.Abs(b.Logprob-lp[b.ID]) > 1e-9 {
						t.Fatalf("n=%d %s top=%d: entry %d is %+v, want id %d (logit %g) logprob %g",
							n, kind, top, k, b, order[k], logits[order[k]], lp[order[k]])
					}
				}
			}
		}
	}
}

// TestSamplerSeed: the same seed draws the same tokens, another seed others,
// and every draw stays within top-k.
func TestSamplerSeed(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	steps := make([][]float32, 200)
	for i := range steps {
		steps[i] = randomLogits(rng, 50)
	}
	draw := func(seed uint64) []int {
		s := NewSampler(SamplerConfig{Temperature: 1, TopK: 10, TopP: 0.95, Seed: seed})
		var ids []int
		for _, l := range steps {
			id := s.Next(slices.Clone(l), nil, ids)
			_, order := refLogprobs(l)
			if !slices.Contains(order[:10], id) {
				t.Fatalf("drew %d, not among the top 10", id)
			}
			ids = append(ids, id)
		}
		return ids
	}
	a, b, c := draw(42), draw(42), draw(43)
	if !slices.Equal(a, b) {
		t.Errorf("seed 42 twice drew different tokens:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 42 and 43 drew the same 200 tokens")
	}
}

// TestKthLargest checks the quickselect against a sort, on random values
// with many ties, for every k.
func TestKthLargest(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{1, 2, 3, 10, 257} {
		p := make([]float64, n)
		for i := range p {
			p[i] = float64(rng.IntN(7)) - 3
			if i%5 == 0 {
				p[i] = math.Inf(-1)
			}
		}
		sorted := slices.Clone(p)
		slices.SortFunc(sorted, func(a, b float64) int { return cmp.Compare(b, a) })
		for k := 1; k <= n; k++ {
			if got := kthLargest(p, make([]float64, n), k); got != sorted[k-1] {
				t.Fatalf("n %d k %d: %g, want %g", n, k, got, sorted[k-1])
			}
		}
	}
}

// refDraw is the sampler's draw over the whole vocabulary, the obvious
// way (top-k by a full sort, then softmax, top-p, min-p and the draw over
// every id): the oracle for draw's candidate-set shortcut.
func refDraw(logits []float32, cfg SamplerConfig, r float64) int {
	n := len(logits)
	p := make([]float64, n)
	for i, v := range logits {
		p[i] = float64(v) / cfg.Temperature
	}
	if k := cfg.TopK; k > 0 && k < n {
		sorted := slices.Clone(p)
		slices.SortFunc(sorted, func(a, b float64) int { return cmp.Compare(b, a) })
		for i, v := range p {
			if v < sorted[k-1] {
				p[i] = math.Inf(-1)
			}
		}
	}
	softmax(p)
	if tp := cfg.TopP; tp > 0 && tp < 1 {
		var order []int
		for i, v := range p {
			if v > 0 {
				order = append(order, i)
			}
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
		var cum float64
		for j, i := range order {
			cum += p[i]
			if cum <= 1-tp && j < len(order)-1 {
				p[i] = 0
			}
		}
		normalise(p)
	}
	if mp := cfg.MinP; mp > 0 {
		top := slices.Max(p)
		for i, v := range p {
			if v < mp*top {
				p[i] = 0
			}
		}
		normalise(p)
	}
	var cum float64
	last := 0
	for i, v := range p {
		if v == 0 {
			continue
		}
		cum += v
		last = i
		if r < cum {
			return i
		}
	}
	return last
}

// TestDrawMatchesFullVocabulary checks that sampling over top-k's
// candidates picks the id the whole-vocabulary computation picks, for the
// same random number, across settings and tie-heavy logits.
func TestDrawMatchesFullVocabulary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		n := 1 + rng.IntN(400)
		logits := make([]float32, n)
		for i := range logits {
			logits[i] = float32(rng.IntN(9)) / 2 // many ties
			if trial%2 == 0 {
				logits[i] = float32(rng.NormFloat64() * 3)
			}
		}
		cfg := SamplerConfig{Temperature: 0.3 + rng.Float64(), TopK: rng.IntN(n + 2), TopP: []float64{1, 0.9, 0.5}[rng.IntN(3)],
			MinP: []float64{0, 0.05, 0.3}[rng.IntN(3)], Seed: uint64(trial)}
		s := NewSampler(cfg)
		r := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)).Float64() // the sampler's first draw
		if got, want := s.Next(slices.Clone(logits), nil, nil), refDraw(logits, cfg, r); got != want {
			t.Fatalf("trial %d, %+v: drew %d, the whole vocabulary gives %d", trial, cfg, got, want)
		}
	}
}
