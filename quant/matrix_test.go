package quant

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestQuantizeRows: each output row is QuantizeRow of the source row the
// order names; a partial block is an error.
func TestQuantizeRows(t *testing.T) {
	const rows, cols = 37, 64
	r := rand.New(rand.NewPCG(3, 4))
	src := make([]float32, rows*cols)
	for i := range src {
		src[i] = float32(r.NormFloat64())
	}
	reverse := func(i int) int { return rows - 1 - i }
	for _, order := range []func(int) int{nil, reverse} {
		got, err := QuantizeRows(Q8_0, src, rows, cols, order)
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := Q8_0.RowBytes(cols)
		for i := range rows {
			s := i
			if order != nil {
				s = order(i)
			}
			want := make([]byte, rb)
			if err := QuantizeRow(Q8_0, want, src[s*cols:(s+1)*cols]); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[i*rb:(i+1)*rb], want) {
				t.Fatalf("row %d (order %v): bytes differ from QuantizeRow's", i, order != nil)
			}
		}
	}
	if _, err := QuantizeRows(Q4_K, src, rows, cols, nil); err == nil {
		t.Error("Q4_K rows of 64 weights: no error")
	}
}
