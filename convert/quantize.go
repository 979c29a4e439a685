// Package convert writes gollm's checkpoints in another format: Quantize
// makes a quantized GGUF file of an HF safetensors folder, the file
// llama.cpp's converter and llama-quantize make together.
package convert

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/gguf"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/quant"
	"github.com/gollm/gollm/tokenizer"
)

// quantizationVersion is general.quantization_version: the version of
// ggml's block layouts (GGML_QNT_VERSION) that the files are written in.
const quantizationVersion = 2

// Options are Quantize's settings.
type Options struct {
	Type FileType
	Name string // general.name
	// Vocab gives the tokenizer keys; nil writes none (gollm loads such a
	// file with a tokenizer given apart; llama.cpp refuses it).
	Vocab *tokenizer.GGUFVocab
	// Progress, when set, is called after each matrix with the rows
	// quantized so far and the total (from the goroutine calling
	// Quantize).
	Progress func(done, total int)
	// Context, when set, stops the write before the next tensor once it
	// is cancelled; Quantize then returns its error and path is untouched.
	Context context.Context
}

// Quantize writes the model of HF checkpoint c to path as a GGUF v3 file
// (see docs/quantization.md, "gollm quantize"): the family's metadata and
// o's tokenizer, and every tensor under its GGUF name, matrices quantized
// to o.Type's mix with quant.QuantizeRow (rows in parallel, one tensor in
// memory at a time), 1-D tensors F32. Llama's q and k rows are permuted
// from HF's rotate-half order to the adjacent pairs GGUF llama files use.
// The file appears only once complete (gguf.WriteFile), so a failure
// leaves whatever was at path untouched. It returns the number of tensors
// written of each type.
func Quantize(c *loader.Checkpoint, path string, o Options) (map[quant.Type]int, error) {
	if c.GGUF != nil {
		return nil, fmt.Errorf("convert: %s: already a GGUF file (re-quantizing is not supported)", c.Dir)
	}
	if _, ok := o.Type.base(); !ok {
		return nil, fmt.Errorf("convert: %v: not a file type Quantize writes", o.Type)
	}
	fam, err := arch.Lookup(c.Config.ModelType)
	if err != nil {
		return nil, fmt.Errorf("convert: %s: %w", c.Dir, err)
	}
	kvs, err := metadata(fam, c.Config, o)
	if err != nil {
		return nil, fmt.Errorf("convert: %s: %w", c.Dir, err)
	}
	jobs, err := plan(c, fam, o.Type)
	if err != nil {
		return nil, fmt.Errorf("convert: %s: %w", c.Dir, err)
	}
	counts := map[quant.Type]int{}
	var total int
	for _, j := range jobs {
		counts[j.typ]++
		if j.matrix {
			total += j.rows
		}
	}
	p := &progress{total: total, report: o.Progress}
	tensors := make([]gguf.Tensor, len(jobs))
	for i, j := range jobs {
		tensors[i] = gguf.Tensor{Name: j.out, Type: j.typ, Dims: j.dims(),
			Data: func() ([]byte, error) {
				if o.Context != nil && o.Context.Err() != nil {
					return nil, o.Context.Err()
				}
				return j.data(c, p)
			}}
	}
	if err := gguf.WriteFile(path, kvs, tensors); err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	return counts, nil
}

// metadata lists the file's keys: general.*, the family's hyper-parameters
// and the tokenizer's.
func metadata(fam *arch.Family, c *arch.Config, o Options) ([]gguf.KV, error) {
	keys, err := arch.GGUFKeys(fam, c)
	if err != nil {
		return nil, err
	}
	kvs := []gguf.KV{
		{Key: "general.architecture", Value: gguf.ValueOf(fam.GGUF)},
		{Key: "general.name", Value: gguf.ValueOf(o.Name)},
		{Key: "general.file_type", Value: gguf.ValueOf(uint32(o.Type))},
		{Key: "general.quantization_version", Value: gguf.ValueOf(uint32(quantizationVersion))},
	}
	for _, k := range keys {
		var v gguf.Value
		switch x := k.Value.(type) {
		case uint32:
			v = gguf.ValueOf(x)
		case float32:
			v = gguf.ValueOf(x)
		case string:
			v = gguf.ValueOf(x)
		default:
			return nil, fmt.Errorf("key %q: value of Go type %T", k.Key, k.Value)
		}
		kvs = append(kvs, gguf.KV{Key: k.Key, Value: v})
	}
	if o.Vocab != nil {
		kvs = append(kvs, vocabKVs(o.Vocab)...)
	}
	return kvs, nil
}

// progress counts the matrix rows quantized, for Options.Progress.
type progress struct {
	done   atomic.Int64
	total  int
	report func(done, total int)
}

func (p *progress) add(rows int) {
	d := p.done.Add(int64(rows))
	if p.report != nil {
		p.report(int(d), p.total)
	}
}
