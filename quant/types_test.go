package quant

import "testing"

// TestBlockSizes checks the layouts against the sizes ggml-common.h's
// static_asserts state for the types gollm loads.
func TestBlockSizes(t *testing.T) {
	want := map[Type][2]int{
		F32: {1, 4}, F16: {1, 2}, BF16: {1, 2},
		Q4_0: {32, 18}, Q4_1: {32, 20}, Q5_0: {32, 22}, Q5_1: {32, 24}, Q8_0: {32, 34},
		Q4_K: {256, 144}, Q5_K: {256, 176}, Q6_K: {256, 210}, Q8_K: {256, 292},
		Q2_K: {256, 84}, Q3_K: {256, 110},
	}
	for ty, w := range want {
		if ty.BlockElems() != w[0] || ty.BlockBytes() != w[1] {
			t.Errorf("%v: block of %d weights in %d bytes, want %d in %d", ty, ty.BlockElems(), ty.BlockBytes(), w[0], w[1])
		}
	}
}

func TestRowBytesAndNames(t *testing.T) {
	if n, err := Q4_K.RowBytes(512); err != nil || n != 288 {
		t.Errorf("Q4_K.RowBytes(512) = %d, %v; want 288", n, err)
	}
	if _, err := Q4_K.RowBytes(100); err == nil {
		t.Error("Q4_K.RowBytes(100): no error for a partial block")
	}
	if _, err := Type(4).RowBytes(32); err == nil || Type(4).Known() {
		t.Error("removed type 4 accepted")
	}
	for ty := range layouts {
		if got, err := ParseType(ty.String()); err != nil || got != ty {
			t.Errorf("ParseType(%q) = %v, %v", ty.String(), got, err)
		}
	}
	if Q2_K.Loads() || !Q6_K.Loads() {
		t.Error("Loads: Q2_K should be refused, Q6_K read")
	}
}
