package model

import (
	"fmt"
	"math"

	"github.com/gollm/gollm/loader"
)

// rope applies rotary position embeddings the way HF transformers does:
// the "rotate half" layout (dimension i pairs with i + rot/2) over the first
// rot dimensions of each head, with inverse frequencies and an attention
// scaling chosen by the config's rope type. Angles are float32 products of a
// float32 inverse frequency and the position, as in transformers. A config
// with RopeInterleaved pairs adjacent dimensions (2i, 2i+1) instead: the q
// and k rows of a GGUF llama are permuted to that order, and rotating them
// so gives the same scores as HF's layout on the unpermuted rows.
type rope struct {
	rot         int       // rotated dimensions per head (even)
	interleaved bool      // pair 2i with 2i+1 rather than i with i+rot/2
	invFreq     []float32 // rot/2 inverse frequencies in use
	scale       float32   // attention_scaling: multiplies cos and sin (yarn)

	// dynamic NTK state: the frequencies grow with the longest sequence
	// seen, as transformers' dynamic_rope_update does.
	cfg     *loader.Config
	seenLen int
}

// rotations are the cos and sin of a forward pass's positions, computed
// once and read by every layer's q and k.
type rotations struct {
	rot, pos0   int
	interleaved bool
	cos, sin    []float32 // [position−pos0][rot/2], times the attention scaling
}

func newRope(c *loader.Config, headDim int) (*rope, error) {
	rot := int(float64(headDim) * c.PartialRotary)
	rot -= rot % 2
	if rot <= 0 {
		return nil, fmt.Errorf("partial_rotary_factor %g leaves no rotated dimensions of head_dim %d", c.PartialRotary, headDim)
	}
	r := &rope{rot: rot, interleaved: c.RopeInterleaved, scale: 1, cfg: c}
	r.invFreq = baseInvFreq(c.RopeTheta, rot)
	s := c.Rope
	switch s.Type {
	case "", "default", "dynamic":
	case "linear":
		for i := range r.invFreq {
			r.invFreq[i] /= float32(s.Factor)
		}
	case "llama3":
		r.invFreq = llama3InvFreq(r.invFreq, s)
	case "factors":
		for i := range r.invFreq {
			r.invFreq[i] /= s.FreqFactors[i]
		}
	case "yarn":
		r.invFreq, r.scale = yarnInvFreq(c, rot)
	default:
		return nil, fmt.Errorf("unsupported rope type %q", s.Type)
	}
	return r, nil
}

// baseInvFreq is 1 / theta^(2i/rot), computed in float32 as transformers does.
func baseInvFreq(theta float64, rot int) []float32 {
	f := make([]float32, rot/2)
	for i := range f {
		p := float32(math.Pow(theta, float64(float32(2*i)/float32(rot))))
		f[i] = 1 / p
	}
	return f
}

func llama3InvFreq(base []float32, s loader.RopeScaling) []float32 {
	old := float64(s.OriginalMaxPositions)
	lowWave := old / s.LowFreqFactor
	highWave := old / s.HighFreqFactor
	out := make([]float32, len(base))
	for i, f := range base {
		wave := 2 * math.Pi / float64(f)
		switch {
		case wave > lowWave:
			out[i] = f / float32(s.Factor)
		case wave < highWave:
			out[i] = f
		default:
			smooth := float32((old/wave - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor))
			out[i] = (1-smooth)*f/float32(s.Factor) + smooth*f
		}
	}
	return out
}

// yarnInvFreq blends interpolated and extrapolated frequencies with a linear
// ramp between the correction dimensions, and returns the attention factor.
func yarnInvFreq(c *loader.Config, rot int) ([]float32, float32) {
	s := c.Rope
	orig := s.OriginalMaxPositions
	if orig == 0 {
		orig = c.MaxPositions
	}
	factor := s.Factor
	att := s.AttentionFactor
	if att == 0 {
		att = 1
		if factor > 1 {
			att = 0.1*math.Log(factor) + 1
		}
	}
	betaFast, betaSlow := s.BetaFast, s.BetaSlow
	if betaFast == 0 {
		betaFast = 32
	}
	if betaSlow == 0 {
		betaSlow = 1
	}
	corr := func(nRot float64) float64 {
		return float64(rot) * math.Log(float64(orig)/(nRot*2*math.Pi)) / (2 * math.Log(c.RopeTheta))
	}
	low := math.Max(math.Floor(corr(betaFast)), 0)
	high := math.Min(math.Ceil(corr(betaSlow)), float64(rot-1))
	if low == high {
		high += 0.001
	}
	out := make([]float32, rot/2)
	for i := range out {
		posFreq := float32(math.Pow(c.RopeTheta, float64(float32(2*i)/float32(rot))))
		extra := 1 / posFreq
		inter := 1 / (float32(factor) * posFreq)
		ramp := math.Min(math.Max((float64(i)-low)/(high-low), 0), 1)
		extraFactor := float32(1 - ramp)
		out[i] = inter*(1-extraFactor) + extra*extraFactor
	}
	return out, float32(att)
}

// prepare returns the rotations of a forward pass over positions pos0 …
// pos0+n−1. It first updates dynamic-NTK frequencies for the last
// position, mirroring transformers: frequencies are recomputed when the
// sequence grows past both the longest seen and the original context, and
// reset when a new sequence starts short again.
func (r *rope) prepare(pos0, n int) *rotations {
	r.updateDynamic(pos0 + n - 1)
	half := r.rot / 2
	t := &rotations{rot: r.rot, pos0: pos0, interleaved: r.interleaved, cos: make([]float32, n*half), sin: make([]float32, n*half)}
	for i := 0; i < n; i++ {
		p := float32(pos0 + i)
		for j, f := range r.invFreq {
			a := float64(f * p)
			t.cos[i*half+j] = float32(math.Cos(a)) * r.scale
			t.sin[i*half+j] = float32(math.Sin(a)) * r.scale
		}
	}
	return t
}

// updateDynamic applies the dynamic-NTK rule for a pass ending at maxPos.
func (r *rope) updateDynamic(maxPos int) {
	c := r.cfg
	if c.Rope.Type != "dynamic" {
		return
	}
	seq := maxPos + 1
	orig := c.Rope.OriginalMaxPositions
	if orig == 0 {
		orig = c.MaxPositions
	}
	switch {
	case seq > max(r.seenLen, orig):
		base := c.RopeTheta * math.Pow(c.Rope.Factor*float64(seq)/float64(orig)-(c.Rope.Factor-1), float64(r.rot)/float64(r.rot-2))
		r.invFreq = baseInvFreq(base, r.rot)
		r.seenLen = seq
	case seq < orig && r.seenLen > orig:
		r.invFreq = baseInvFreq(c.RopeTheta, r.rot)
		r.seenLen = orig
	}
}

// apply rotates x, laid out [rows][heads][headDim], where row i has
// position pos0+i, over the first rot dimensions of each head: dimension
// j paired with j + rot/2 ("rotate half"), or with its neighbour when
// interleaved; pair j turns by frequency j either way.
func (t *rotations) apply(x []float32, rows, heads, headDim, pos0 int) {
	half := t.rot / 2
	for i := 0; i < rows; i++ {
		off := (pos0 - t.pos0 + i) * half
		cos, sin := t.cos[off:off+half], t.sin[off:off+half]
		for h := 0; h < heads; h++ {
			v := x[(i*heads+h)*headDim:][:t.rot]
			if t.interleaved {
				rotatePairs(v, cos, sin)
				continue
			}
			a, b := v[:half], v[half:]
			for j := range a {
				a[j], b[j] = a[j]*cos[j]-b[j]*sin[j], b[j]*cos[j]+a[j]*sin[j]
			}
		}
	}
}

// rotatePairs turns each adjacent pair (v[2j], v[2j+1]) by the angle of
// cos[j] and sin[j].
func rotatePairs(v, cos, sin []float32) {
	for j := range cos {
		a, b := v[2*j], v[2*j+1]
		v[2*j], v[2*j+1] = a*cos[j]-b*sin[j], b*cos[j]+a*sin[j]
	}
}
