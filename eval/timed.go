package eval

import (
	"time"

	"github.com/gollm/gollm/attention"
)

// timedKernel wraps a kernel and adds the time of each Attend call to
// *total: the attention share of a forward pass, measured in the same run.
type timedKernel struct {
	attention.Kernel
	total *time.Duration
}

// Attend runs the wrapped kernel and books its time.
func (k timedKernel) Attend(out, lse, q, k2, v []float32, s attention.Shape, p attention.Params) {
	start := time.Now()
	k.Kernel.Attend(out, lse, q, k2, v, s, p)
	*k.total += time.Since(start)
}

// timedPlan returns a plan with every layer's kernel of p wrapped to add
// its time to *total.
func timedPlan(p *attention.Plan, total *time.Duration) *attention.Plan {
	ks := make([]attention.Kernel, p.Layers())
	for i := range ks {
		ks[i] = timedKernel{Kernel: p.Kernel(i), total: total}
	}
	return attention.NewPlan(ks)
}
