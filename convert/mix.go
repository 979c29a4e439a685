package convert

import (
	"fmt"
	"strings"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/quant"
)

// FileType is a GGUF general.file_type, numbered as llama.cpp's
// LLAMA_FTYPE: the mix of types a file's tensors are stored in.
type FileType uint32

// The file types Quantize writes.
const (
	MostlyQ8_0   FileType = 7  // every matrix Q8_0
	MostlyQ4_K_M FileType = 15 // Q4_K, with Q6_K for the head and some attn_v and ffn_down
	MostlyQ6_K   FileType = 18 // every matrix Q6_K
)

// fileTypes are the names ParseFileType accepts, with each type's base
// type (that of most matrices).
var fileTypes = []struct {
	name string
	ft   FileType
	base quant.Type
}{
	{"Q8_0", MostlyQ8_0, quant.Q8_0},
	{"Q4_K_M", MostlyQ4_K_M, quant.Q4_K},
	{"Q6_K", MostlyQ6_K, quant.Q6_K},
}

// ParseFileType reads a file type by its llama-quantize name (Q8_0,
// Q4_K_M, Q6_K; case does not matter).
func ParseFileType(name string) (FileType, error) {
	var names []string
	for _, f := range fileTypes {
		if strings.EqualFold(name, f.name) {
			return f.ft, nil
		}
		names = append(names, f.name)
	}
	return 0, fmt.Errorf("quantization type %q: want one of %s", name, strings.Join(names, ", "))
}

// String is the llama-quantize name of t.
func (t FileType) String() string {
	for _, f := range fileTypes {
		if f.ft == t {
			return f.name
		}
	}
	return fmt.Sprintf("FileType(%d)", uint32(t))
}

// base is the type of most of t's matrices, and whether t is one of the
// file types Quantize writes.
func (t FileType) base() (quant.Type, bool) {
	for _, f := range fileTypes {
		if f.ft == t {
			return f.base, true
		}
	}
	return 0, false
}

// matrixType is the type a weight matrix of layout tensor w (in a model of
// layers layers, its head tied to the embedding when tied) is stored in,
// as llama-quantize's rules without an importance matrix choose it: the
// head (or the tied embedding) Q6_K unless the base type is Q8_0, or Q8_0
// when its rows are not whole blocks of the base type; in Q4_K_M, attn_v
// (or a fused attn_qkv) and ffn_down Q6_K in the layers useMoreBits picks;
// then fallback for rows that are not whole blocks. Learned position
// embeddings are not quantized (F32); 1-D tensors are never given here.
func (t FileType) matrixType(w arch.Tensor, layers int, tied bool) quant.Type {
	base, _ := t.base()
	typ := base
	switch {
	case w.Role == arch.Positions:
		return quant.F32
	case w.Role == arch.Head || (tied && w.Role == arch.Embedding):
		if w.In%base.BlockElems() != 0 {
			typ = quant.Q8_0
		} else if base != quant.Q8_0 {
			typ = quant.Q6_K
		}
	case t == MostlyQ4_K_M && (w.Role == arch.V || w.Role == arch.QKV || w.Role == arch.Down || w.Role == arch.FC2):
		if useMoreBits(w.Layer, layers) {
			typ = quant.Q6_K
		}
	}
	return fallback(typ, w.In)
}

// useMoreBits picks the layers that Q4_K_M gives more bits: the first and
// last eighth and every third layer between.
func useMoreBits(layer, layers int) bool {
	return layer < layers/8 || layer >= 7*layers/8 || (layer-layers/8)%3 == 2
}

// fallback is the type a row of n weights is stored in instead of t when
// it is not whole blocks of t, as llama-quantize falls back: a K-quant to
// the 32-weight type of about its size, then F16 when n is not whole
// 32-weight blocks either.
func fallback(t quant.Type, n int) quant.Type {
	if n%t.BlockElems() == 0 {
		return t
	}
	switch t {
	case quant.Q4_K:
		t = quant.Q5_0
	case quant.Q6_K:
		t = quant.Q8_0
	}
	if n%t.BlockElems() != 0 {
		return quant.F16
	}
	return t
}
