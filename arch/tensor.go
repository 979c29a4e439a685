package arch

// Role is what a tensor is to the forward pass.
type Role int

// The roles. Linear maps are y = x·Wᵀ (+ b); norms have a weight (and,
// for LayerNorm, a bias) of the width they normalise.
const (
	Embedding Role = iota // token embedding [vocab × hidden]
	Positions             // learned absolute positions [max positions × hidden]
	FinalNorm             // the norm after the last layer
	Head                  // output projection [vocab × hidden], absent when tied
	AttnNorm              // the norm before attention (and, in a parallel block, the MLP)
	MLPNorm               // the norm before the MLP
	QKV                   // q, k and v fused: rows of q, then k, then v
	Q                     // query projection
	K                     // key projection
	V                     // value projection
	O                     // attention output projection
	QNorm                 // per-head norm of the queries
	KNorm                 // per-head norm of the keys
	Gate                  // gated MLP: silu(gate x) · up x, then down
	Up
	Down
	FC1 // ungated MLP: fc2(act(fc1 x))
	FC2
)

// IsNorm reports whether tensors of role r are norms.
func (r Role) IsNorm() bool {
	switch r {
	case FinalNorm, AttnNorm, MLPNorm, QNorm, KNorm:
		return true
	}
	return false
}

// Tensor is one weight of a checkpoint: a linear map or a norm, stored as
// Name+".weight" and, with Bias, Name+".bias".
type Tensor struct {
	Role  Role
	Layer int    // the decoder layer, −1 for the model-wide tensors
	Name  string // without ".weight", e.g. "model.layers.0.self_attn.q_proj"
	Out   int    // rows of W (a norm's width)
	In    int    // columns of W (0 for a norm)
	Bias  bool   // a bias of length Out is stored too
	// Transposed: W is stored [In × Out] (GPT-2's Conv1D).
	Transposed bool
}

// WeightName is the stored name of the weight.
func (t Tensor) WeightName() string { return t.Name + ".weight" }

// BiasName is the stored name of the bias.
func (t Tensor) BiasName() string { return t.Name + ".bias" }

// WeightShape is the stored shape of the weight.
func (t Tensor) WeightShape() []int {
	switch {
	case t.Role.IsNorm():
		return []int{t.Out}
	case t.Transposed:
		return []int{t.In, t.Out}
	}
	return []int{t.Out, t.In}
}

// sizes are the widths of the projections of a config, for the families'
// tensor lists.
type sizes struct{ h, qd, kvd, inter int }

func sizesOf(c *Config) sizes {
	return sizes{c.Hidden, c.Heads * c.HeadDim, c.KVHeads * c.HeadDim, c.Intermediate}
}

// head is the output projection of c when it is not tied to the embedding.
func head(c *Config, bias bool) []Tensor {
	if c.TieEmbeddings {
		return nil
	}
	return []Tensor{{Role: Head, Layer: -1, Name: "lm_head", Out: c.VocabSize, In: c.Hidden, Bias: bias}}
}
