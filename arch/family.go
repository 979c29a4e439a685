// Package arch is the registry of the Transformer architectures gollm
// runs. Each Family, declared in a file of its own (gpt2.go, llama.go,
// phi.go), owns every fact of its architecture: the config.json
// model_type it answers to, the defaults of its transformers config
// class, the activations it accepts, the traits of its forward pass and
// the tensors its checkpoints hold. loader, model, the CLI's benchmark
// shapes and the converters ask it rather than keep their own lists.
package arch

import (
	"fmt"
	"slices"
	"strings"
)

// Family is one architecture as config.json names it (one model_type).
type Family struct {
	// ModelType is the config.json model_type the family answers to.
	ModelType string
	// Class is the transformers model class, as converters write it in
	// config.json's architectures.
	Class string
	// GGUF is the name GGUF files give the architecture
	// (general.architecture), "" when it has none. Families may share
	// one: GGUF writes Mistral as "llama".
	GGUF string
	// Acts lists the accepted activations (hidden_act, with "swish"
	// already read as "silu").
	Acts []string
	// PartialRotary is the default partial_rotary_factor of a RoPE family
	// (unused with learned positions).
	PartialRotary float64
	Traits

	// ReadConfig reads the family's keys into c: the sizes, the norm
	// epsilon, the activation, tie_word_embeddings, biases and windows,
	// with the config class's defaults for absent keys. The keys common
	// to all families (vocab_size, dtype, special tokens) and the RoPE
	// parameters are read by the caller.
	ReadConfig func(r Reader, c *Config)
	// Tensors lists the tensors a checkpoint of config c holds, in the
	// order they are read. has reports whether the checkpoint holds a
	// tensor, for the families whose names vary between checkpoints; nil
	// gives the names transformers writes.
	Tensors func(c *Config, has func(name string) bool) []Tensor
	// ReadGGUF reads a config from the metadata of a GGUF file of the
	// family (r's keys without the "GGUF." prefix; general.* and the
	// tokenizer's keys are read by the caller): the sizes, the norm
	// epsilon, the RoPE, the activation GGUF implies, and the tied head
	// and biases, which GGUF records only by the tensors' presence (has
	// takes GGUF tensor names). Nil for a family without a GGUF name.
	ReadGGUF func(r Reader, c *Config, has func(name string) bool)
}

// Traits are the choices of a family's forward pass.
type Traits struct {
	// Norm is the kind of every norm in the model.
	Norm NormKind
	// GatedMLP: the MLP is down(silu(gate x) · up x) rather than
	// fc2(act(fc1 x)).
	GatedMLP bool
	// ParallelBlock: attention and the MLP both read one norm of the
	// residual and are added to it together (phi), rather than in turn.
	ParallelBlock bool
	// QKNorm: queries and keys are normed per head before RoPE (qwen3).
	QKNorm bool
	// LearnedPositions: absolute position embeddings are added to the
	// token embeddings (gpt2) instead of rotary embeddings.
	LearnedPositions bool
}

// NormKind is RMSNorm or LayerNorm.
type NormKind int

// The norm kinds.
const (
	RMSNorm   NormKind = iota // x/rms(x)·w
	LayerNorm                 // (x−mean)/std·w + b
)

// geluActs are the GELU spellings of transformers' ACT2FN that gollm runs
// (erf, and the tanh approximation under its three names), for the
// families with a plain fc→GELU→fc MLP.
var geluActs = []string{"gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast"}

// Accepts reports whether the family runs with activation act.
func (f *Family) Accepts(act string) bool { return slices.Contains(f.Acts, act) }

// families is the registry, in the order of the files' init functions.
var families []*Family

// register adds f to the registry; each family file calls it from init.
func register(f *Family) {
	if f.ModelType == "" || f.ReadConfig == nil || f.Tensors == nil || len(f.Acts) == 0 || (f.GGUF == "") != (f.ReadGGUF == nil) {
		panic(fmt.Sprintf("arch: incomplete family %q", f.ModelType))
	}
	if _, err := Lookup(f.ModelType); err == nil {
		panic(fmt.Sprintf("arch: model_type %q registered twice", f.ModelType))
	}
	families = append(families, f)
}

// ModelTypes lists the model_type values of the registered families.
func ModelTypes() []string {
	names := make([]string, len(families))
	for i, f := range families {
		names[i] = f.ModelType
	}
	return names
}

// Lookup returns the family of a config.json model_type. The error names
// the supported ones.
func Lookup(modelType string) (*Family, error) {
	for _, f := range families {
		if f.ModelType == modelType {
			return f, nil
		}
	}
	supported := strings.Join(ModelTypes(), ", ")
	if modelType == "" {
		return nil, fmt.Errorf("no model_type (supported: %s)", supported)
	}
	return nil, fmt.Errorf("model_type %q is not supported (supported: %s)", modelType, supported)
}
