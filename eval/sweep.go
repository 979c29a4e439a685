package eval

import (
	"math"
)

// Summary is one point of a sweep: the runs of one (hyper layers, pattern)
// setting over its seeds. Its Stats are means over the runs (KL maxima too).
type Summary struct {
	HyperLayers int      `json:"hyper_layers"`
	Pattern     string   `json:"pattern"`
	Plan        string   `json:"plan"`
	Seeds       []uint64 `json:"seeds"`
	Stats
	PPLSD       float64   `json:"ppl_sd"`                      // sample sd of PPL over the seeds (0 for one run)
	PPLRuns     []float64 `json:"ppl_runs"`                    // each seed's PPL
	DeltaPct    *float64  `json:"delta_pct,omitempty"`         // PPL change vs the L = 0 run, in %
	Speedup     *float64  `json:"speedup,omitempty"`           // L = 0 seconds / seconds
	AttnSpeedup *float64  `json:"attention_speedup,omitempty"` // same for attention time
}

// Summarize groups runs by (HyperLayers, Pattern) in order of first
// appearance and compares each group with the first group without Hyper
// layers, if any.
func Summarize(runs []Run) []Summary {
	var out []Summary
	var groups [][]Run
	index := map[[2]any]int{}
	for _, r := range runs {
		key := [2]any{r.Setting.HyperLayers, r.Setting.Pattern}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	base := -1
	for i, g := range groups {
		s := summarize(g)
		if base < 0 && s.HyperLayers == 0 {
			base = i
		}
		out = append(out, s)
	}
	if base >= 0 {
		b := out[base]
		for i := range out {
			s := &out[i]
			s.DeltaPct = ratio(s.PPL-b.PPL, b.PPL/100)
			s.Speedup = ratio(b.Seconds, s.Seconds)
			s.AttnSpeedup = ratio(b.AttnSeconds, s.AttnSeconds)
		}
	}
	return out
}

// ratio is a/b, or nil when b is zero.
func ratio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	r := a / b
	return &r
}

// summarize averages the runs of one setting over seeds.
func summarize(g []Run) Summary {
	first := g[0]
	s := Summary{HyperLayers: first.Setting.HyperLayers, Pattern: first.Setting.Pattern, Plan: first.Setting.Describe()}
	avg := func(f func(Stats) float64) float64 {
		var sum float64
		for _, r := range g {
			sum += f(r.Stats)
		}
		return sum / float64(len(g))
	}
	s.Stats = first.Stats
	s.PPL = avg(func(x Stats) float64 { return x.PPL })
	s.PPL2 = avg(func(x Stats) float64 { return x.PPL2 })
	s.MeanNLL = avg(func(x Stats) float64 { return x.MeanNLL })
	s.MeanNLLSE = avg(func(x Stats) float64 { return x.MeanNLLSE })
	s.PPLSE = avg(func(x Stats) float64 { return x.PPLSE })
	s.DocPPL = avg(func(x Stats) float64 { return x.DocPPL })
	s.DocPPL2 = avg(func(x Stats) float64 { return x.DocPPL2 })
	s.DocMeanNLL = avg(func(x Stats) float64 { return x.DocMeanNLL })
	s.DocMeanNLLSE = avg(func(x Stats) float64 { return x.DocMeanNLLSE })
	s.Seconds = avg(func(x Stats) float64 { return x.Seconds })
	s.AttnSeconds = avg(func(x Stats) float64 { return x.AttnSeconds })
	s.TokensPerSec = avg(func(x Stats) float64 { return x.TokensPerSec })
	s.WindowNLL = make([]float64, len(first.WindowNLL))
	for w := range s.WindowNLL {
		s.WindowNLL[w] = avg(func(x Stats) float64 { return x.WindowNLL[w] })
	}
	if first.KL != nil {
		kl := func(f func(*KLStats) float64) float64 { return avg(func(x Stats) float64 { return f(x.KL) }) }
		s.KL = &KLStats{
			MeanKL:    kl(func(k *KLStats) float64 { return k.MeanKL }),
			MaxKL:     kl(func(k *KLStats) float64 { return k.MaxKL }),
			Top1:      kl(func(k *KLStats) float64 { return k.Top1 }),
			MeanDP:    kl(func(k *KLStats) float64 { return k.MeanDP }),
			MedianADP: kl(func(k *KLStats) float64 { return k.MedianADP }),
			P90ADP:    kl(func(k *KLStats) float64 { return k.P90ADP }),
			P99ADP:    kl(func(k *KLStats) float64 { return k.P99ADP }),
			MaxADP:    kl(func(k *KLStats) float64 { return k.MaxADP }),
		}
	}
	for _, r := range g {
		s.Seeds = append(s.Seeds, r.Setting.Seed)
		s.PPLRuns = append(s.PPLRuns, r.PPL)
	}
	s.PPLSD = sampleSD(s.PPLRuns)
	return s
}

// sampleSD is the sample standard deviation (0 for fewer than two values).
func sampleSD(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return math.Sqrt(v / float64(len(xs)-1))
}
