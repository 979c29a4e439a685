package model

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	// AllowUnused loads a safetensors checkpoint that holds tensors the
	// config never reads, which otherwise is ErrUnusedTensors.
	AllowUnused bool
}

// ErrUnusedTensors is the error (wrapped, naming some of them) of a
// safetensors checkpoint holding tensors its config never reads, such as
// model.layers.N.* with N ≥ num_hidden_layers: the config probably does
// not describe the weights, and the output would be silently wrong.
var ErrUnusedTensors = errors.New("tensors the config does not use")

// harmlessUnused reports whether a tensor a checkpoint may hold without
// being read is a buffer that changes nothing: rotary inverse frequencies
// and GPT-2's causal-mask buffers (computed, not loaded), or lm_head
// beside tied embeddings (tying ignores it, as in transformers).
func harmlessUnused(name string, tied bool) bool {
	return strings.HasSuffix(name, ".rotary_emb.inv_freq") || strings.HasSuffix(name, ".attn.bias") ||
		strings.HasSuffix(name, ".attn.masked_bias") || tied && name == "lm_head.weight"
}

// checkUnused returns ErrUnusedTensors, naming up to four, when c holds
// tensors that loading it did not read.
func checkUnused(c *loader.Checkpoint) error {
	var bad []string
	for _, n := range c.Unused() {
		if !harmlessUnused(n, c.Config.TieEmbeddings) {
			bad = append(bad, strconv.Quote(n))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	shown := bad[:min(len(bad), 4)]
	more := ""
	if len(bad) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(bad)-len(shown))
	}
	return fmt.Errorf("model: %s: %d %w (%d layers in config.json): %s%s", c.Dir, len(bad), ErrUnusedTensors, c.Config.Layers,
		strings.Join(shown, ", "), more)
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
	m, err := load(c, o)
	if err == nil && c != nil && c.GGUF == nil && !o.AllowUnused {
		err = checkUnused(c)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
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
