package quant

import "fmt"

// codec holds a format's reference pair, one block at a time: quant fills a
// block's bytes from its weights, dequant the reverse.
type codec struct {
	quant   func(b []byte, x []float32)
	dequant func(dst []float32, b []byte)
}

// codecs lists the formats with reference formulas.
var codecs = map[Type]codec{
	F32:  {quantF32, dequantF32},
	F16:  {quantF16, dequantF16},
	BF16: {quantBF16, dequantBF16},
	Q4_0: {quantQ4_0, dequantQ4_0},
	Q4_1: {quantQ4_1, dequantQ4_1},
	Q5_0: {quantQ5_0, dequantQ5_0},
	Q5_1: {quantQ5_1, dequantQ5_1},
	Q8_0: {quantQ8_0, dequantQ8_0},
	Q4_K: {quantQ4K, dequantQ4K},
	Q5_K: {quantQ5K, dequantQ5K},
	Q6_K: {quantQ6K, dequantQ6K},
	Q8_K: {quantQ8K, dequantQ8K},
}

// Convertible reports whether QuantizeRow and DequantizeRow handle t.
func (t Type) Convertible() bool { _, ok := codecs[t]; return ok }

// blocks checks that a row of n weights in nb bytes is whole blocks of t and
// returns t's codec with the block shape.
func blocks(t Type, n, nb int) (c codec, elems, bytes int, err error) {
	c, ok := codecs[t]
	if !ok {
		return c, 0, 0, fmt.Errorf("quant: no reference conversion for type %v", t)
	}
	want, err := t.RowBytes(n)
	if err != nil {
		return c, 0, 0, fmt.Errorf("quant: %w", err)
	}
	if nb != want {
		return c, 0, 0, fmt.Errorf("quant: a %v row of %d weights takes %d bytes, not %d", t, n, want, nb)
	}
	return c, t.BlockElems(), t.BlockBytes(), nil
}

// QuantizeRow encodes the weights src as type t into dst, which must hold
// exactly t.RowBytes(len(src)) bytes, with ggml's reference quantizer (the
// one llama-quantize uses without an importance matrix). NaN and Inf inputs
// do not panic; the blocks they touch hold whatever ggml's formulas give
// (not meaningful: ggml's C leaves such float-to-int conversions undefined).
func QuantizeRow(t Type, dst []byte, src []float32) error {
	c, elems, bytes, err := blocks(t, len(src), len(dst))
	if err != nil {
		return err
	}
	for i := 0; i < len(src)/elems; i++ {
		c.quant(dst[i*bytes:(i+1)*bytes], src[i*elems:(i+1)*elems])
	}
	return nil
}

// DequantizeRow decodes the row src of type t into dst, whose length is the
// row's weight count: src must hold exactly t.RowBytes(len(dst)) bytes. The
// result is bit for bit ggml's dequantize_row_* (any bytes are accepted).
func DequantizeRow(t Type, dst []float32, src []byte) error {
	c, elems, bytes, err := blocks(t, len(dst), len(src))
	if err != nil {
		return err
	}
	for i := 0; i < len(dst)/elems; i++ {
		c.dequant(dst[i*elems:(i+1)*elems], src[i*bytes:(i+1)*bytes])
	}
	return nil
}
