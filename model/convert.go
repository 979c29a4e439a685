package model

import (
	"fmt"
	"sync/atomic"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/quant"
	"github.com/gollm/gollm/weights"
)

// LoadOptions change how Load keeps the weights.
type LoadOptions struct {
	// Convert re-stores every linear map (embeddings and head included)
	// as Weights once at load: F32, BF16 or a ggml block format such as
	// Q8_0 or Q4_K, encoded with quant.QuantizeRow. Maps whose rows are
	// not whole blocks of Weights keep their stored type. Norms and
	// biases stay float32.
	Convert bool
	Weights quant.Type
	// Progress, when set, is called after each converted map with the
	// rows done and the total (from the goroutine calling Load).
	Progress func(done, total int)
}

// LoadWith is Load with options.
func LoadWith(c *loader.Checkpoint, o LoadOptions) (*Model, error) {
	if o.Convert && c != nil {
		if c.GGUF != nil {
			return nil, fmt.Errorf("model: %s: converting the weights of a GGUF file is not supported (its tensors keep their types)", c.Dir)
		}
		if !o.Weights.Convertible() || !o.Weights.Loads() {
			return nil, fmt.Errorf("model: cannot store weights as %v", o.Weights)
		}
	}
	return load(c, o)
}

// converter re-stores linear weights in one type, counting rows for the
// progress report.
type converter struct {
	to          quant.Type
	done, total atomic.Int64
	progress    func(done, total int)
}

// newConverter returns the converter of o for the linear maps of ts.
func newConverter(o LoadOptions, ts []arch.Tensor) *converter {
	cv := &converter{to: o.Weights, progress: o.Progress}
	for _, t := range ts {
		if !t.Role.IsNorm() {
			cv.total.Add(int64(t.Out))
		}
	}
	return cv
}

// convert returns w [out×in] re-stored in cv's type, rows in parallel;
// w itself when its type is already that or its rows are not whole
// blocks of it.
func (cv *converter) convert(w *weights.Tensor) (*weights.Tensor, error) {
	out, in := w.Shape[0], w.Shape[1]
	if _, err := cv.to.RowBytes(in); w.DType == cv.to || err != nil {
		cv.report(out)
		return w, nil
	}
	data, err := quant.QuantizeRows(cv.to, w.Float32s(), out, in, nil)
	cv.report(out)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", w.Name, err)
	}
	return &weights.Tensor{Name: w.Name, DType: cv.to, Shape: w.Shape, Data: data}, nil
}

// report counts rows converted and calls the progress function.
func (cv *converter) report(rows int) {
	done := cv.done.Add(int64(rows))
	if cv.progress != nil {
		cv.progress(int(done), int(cv.total.Load()))
	}
}
