package convert

import (
	"fmt"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/quant"
)

// job is one tensor of the file: where its rows come from and how they
// are stored. A 1-D tensor (a norm or a bias) is rows of one weight, so
// that a q or k bias is permuted as its projection's rows are.
type job struct {
	in, out    string // the checkpoint's name; the GGUF name
	shape      []int  // the stored shape
	typ        quant.Type
	rows, cols int  // the GGUF matrix: rows of cols weights
	matrix     bool // a 2-D tensor
	transposed bool // stored [cols × rows] (GPT-2's Conv1D)
	// ropeHeads, when not 0, is the head count whose rows are reordered
	// from HF's rotate-half RoPE layout to adjacent pairs.
	ropeHeads int
}

// plan lists the jobs of checkpoint c of family fam as file type ft.
func plan(c *loader.Checkpoint, fam *arch.Family, ft FileType) ([]job, error) {
	cfg := c.Config
	var jobs []job
	for _, t := range c.Layout(fam) {
		heads := 0
		if fam.GGUFPairsRope() && t.Role == arch.Q {
			heads = cfg.Heads
		} else if fam.GGUFPairsRope() && t.Role == arch.K {
			heads = cfg.KVHeads
		}
		if heads > 0 && t.Out%(2*heads) != 0 {
			return nil, fmt.Errorf("tensor %q: %d rows do not split into %d RoPE heads", t.WeightName(), t.Out, heads)
		}
		w := job{in: t.WeightName(), out: t.GGUFName() + ".weight", shape: t.WeightShape(), typ: quant.F32,
			rows: t.Out, cols: 1, ropeHeads: heads}
		if !t.Role.IsNorm() {
			w.cols, w.matrix, w.transposed = t.In, true, t.Transposed
			w.typ = ft.matrixType(t, cfg.Layers, cfg.TieEmbeddings)
		}
		jobs = append(jobs, w)
		if t.Bias {
			jobs = append(jobs, job{in: t.BiasName(), out: t.GGUFName() + ".bias", shape: []int{t.Out}, typ: quant.F32,
				rows: t.Out, cols: 1, ropeHeads: heads})
		}
	}
	return jobs, nil
}

// dims is the tensor's shape in ggml order.
func (j job) dims() []uint64 {
	if !j.matrix {
		return []uint64{uint64(j.rows)}
	}
	return []uint64{uint64(j.cols), uint64(j.rows)}
}

// srcRow is the row of the (untransposed) checkpoint tensor that row r of
// the file holds: within a head of d rows, file row 2i+h holds HF row
// h·d/2+i.
func (j job) srcRow(r int) int {
	if j.ropeHeads == 0 {
		return r
	}
	d := j.rows / j.ropeHeads
	head, k := r/d, r%d
	return head*d + (k%2)*(d/2) + k/2
}

// data reads the tensor from c and encodes it, rows in parallel.
func (j job) data(c *loader.Checkpoint, p *progress) ([]byte, error) {
	t, err := c.Tensor(j.in, j.shape...)
	if err != nil {
		return nil, err
	}
	src := t.Float32s()
	if j.transposed {
		src = transpose(src, j.cols, j.rows)
	}
	out, err := quant.QuantizeRows(j.typ, src, j.rows, j.cols, j.srcRow)
	if err != nil {
		return nil, err
	}
	if j.matrix {
		p.add(j.rows)
	}
	return out, nil
}

// transpose returns the [rows × cols] matrix a transposed, [cols × rows].
func transpose(a []float32, rows, cols int) []float32 {
	out := make([]float32, len(a))
	for r := range rows {
		for c := range cols {
			out[c*rows+r] = a[r*cols+c]
		}
	}
	return out
}
