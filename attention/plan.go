package attention

import (
	"fmt"
	"strings"
)

// Plan is the per-layer choice of attention kernel for one model.
type Plan struct {
	kernels      []Kernel
	hyper        HyperConfig // settings of the Hyper layers, for String
	hyperDecode  bool
	decodeWindow int
}

// NewPlan returns a plan using kernels[i] for layer i.
func NewPlan(kernels []Kernel) *Plan {
	p := &Plan{kernels: kernels}
	for _, k := range kernels {
		if h, ok := k.(*Hyper); ok {
			p.hyper = h.Config()
		}
	}
	return p
}

// Layers returns the number of layers the plan covers.
func (p *Plan) Layers() int { return len(p.kernels) }

// Kernel returns layer layer's kernel; layers outside the plan get Flash.
func (p *Plan) Kernel(layer int) Kernel {
	if layer < 0 || layer >= len(p.kernels) {
		return Flash{}
	}
	return p.kernels[layer]
}

// HyperLayers returns how many layers use Hyper.
func (p *Plan) HyperLayers() int {
	n := 0
	for _, k := range p.kernels {
		if k.Name() == "hyper" {
			n++
		}
	}
	return n
}

// HyperDecode reports whether single-token decode steps of the Hyper layers
// attend sublinearly through a HyperDecoder (--hyper-decode) rather than
// exactly to the whole cache.
func (p *Plan) HyperDecode() bool { return p.hyperDecode && p.HyperLayers() > 0 }

// HyperDecodeWindow is the number of recent keys a HyperDecoder attends
// exactly (--hyper-decode-window; min-seq by default).
func (p *Plan) HyperDecodeWindow() int { return p.decodeWindow }

// Restart restarts the sample generator of every Hyper layer on stream
// (Hyper.Restart): a pass run after Restart(u) draws the same samples
// whatever passes ran before, so one window of an evaluation scores the
// same alone as after others. The other kernels draw nothing.
func (p *Plan) Restart(stream uint64) {
	for _, k := range p.kernels {
		if h, ok := k.(*Hyper); ok {
			h.Restart(stream)
		}
	}
}

// String describes the plan as runs of layers, e.g.
// "0-5:flash,6-7:hyper (block=256 samples=256 …)", with " decode=sublinear"
// inside the parentheses under --hyper-decode.
func (p *Plan) String() string {
	var runs []string
	for i := 0; i < len(p.kernels); {
		j := i
		for j+1 < len(p.kernels) && p.kernels[j+1].Name() == p.kernels[i].Name() {
			j++
		}
		if i == j {
			runs = append(runs, fmt.Sprintf("%d:%s", i, p.kernels[i].Name()))
		} else {
			runs = append(runs, fmt.Sprintf("%d-%d:%s", i, j, p.kernels[i].Name()))
		}
		i = j + 1
	}
	s := strings.Join(runs, ",")
	if p.HyperLayers() > 0 {
		s += " (" + p.hyper.String()
		if p.hyperDecode {
			s += fmt.Sprintf(" decode=sublinear decode-window=%d", p.decodeWindow)
		}
		s += ")"
	}
	return s
}
