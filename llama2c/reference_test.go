package llama2c

import "math"

// referenceLogits runs ids through c the way llama2.c's run.c does —
// interleaved rotary pairs, grouped-query attention, SwiGLU — in float64,
// and returns the logits of every position.
func referenceLogits(c *Checkpoint, ids []int) [][]float64 {
	cfg := c.Config
	d, hs, kvd := cfg.Dim, cfg.HeadDim(), cfg.KVDim()
	matvec := func(w []float32, x []float64, out int) []float64 {
		y := make([]float64, out)
		for i := range y {
			for j, xj := range x {
				y[i] += float64(w[i*len(x)+j]) * xj
			}
		}
		return y
	}
	rmsnorm := func(x []float64, w []float32) []float64 {
		var ss float64
		for _, v := range x {
			ss += v * v
		}
		s := 1 / math.Sqrt(ss/float64(len(x))+normEps)
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = v * s * float64(w[i])
		}
		return y
	}
	rotate := func(v []float64, pos int) {
		for i := 0; i < len(v); i += 2 {
			freq := 1 / math.Pow(ropeTheta, float64(i%hs)/float64(hs))
			sin, cos := math.Sincos(float64(pos) * freq)
			v[i], v[i+1] = v[i]*cos-v[i+1]*sin, v[i]*sin+v[i+1]*cos
		}
	}
	keys := make([][][]float64, cfg.Layers) // [layer][pos][kvd]
	vals := make([][][]float64, cfg.Layers)
	head := c.Classifier
	if cfg.SharedClassifier {
		head = c.Embedding
	}
	var out [][]float64
	for pos, id := range ids {
		x := make([]float64, d)
		for i := range x {
			x[i] = float64(c.Embedding[id*d+i])
		}
		for li, l := range c.Layers {
			xb := rmsnorm(x, l.AttnNorm)
			q, k, v := matvec(l.WQ, xb, d), matvec(l.WK, xb, kvd), matvec(l.WV, xb, kvd)
			rotate(q, pos)
			rotate(k, pos)
			keys[li], vals[li] = append(keys[li], k), append(vals[li], v)
			att := make([]float64, d)
			for h := 0; h < cfg.Heads; h++ {
				kvh := h / (cfg.Heads / cfg.KVHeads)
				scores := make([]float64, pos+1)
				top := math.Inf(-1)
				for t := range scores {
					for j := 0; j < hs; j++ {
						scores[t] += q[h*hs+j] * keys[li][t][kvh*hs+j]
					}
					scores[t] /= math.Sqrt(float64(hs))
					top = math.Max(top, scores[t])
				}
				var sum float64
				for t := range scores {
					scores[t] = math.Exp(scores[t] - top)
					sum += scores[t]
				}
				for t, p := range scores {
					for j := 0; j < hs; j++ {
						att[h*hs+j] += p / sum * vals[li][t][kvh*hs+j]
					}
				}
			}
			for i, v := range matvec(l.WO, att, d) {
				x[i] += v
			}
			xb = rmsnorm(x, l.FFNNorm)
			g, u := matvec(l.W1, xb, cfg.Hidden), matvec(l.W3, xb, cfg.Hidden)
			for i := range g {
				g[i] = g[i] / (1 + math.Exp(-g[i])) * u[i]
			}
			for i, v := range matvec(l.W2, g, d) {
				x[i] += v
			}
		}
		out = append(out, matvec(head, rmsnorm(x, c.FinalNorm), cfg.VocabSize))
	}
	return out
}
