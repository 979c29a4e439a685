package quant

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// roundTrip quantizes x as ty and returns the dequantized row.
func roundTrip(t *testing.T, ty Type, x []float32) ([]byte, []float32) {
	t.Helper()
	n, err := ty.RowBytes(len(x))
	if err != nil {
		t.Fatal(err)
	}
	q, y := make([]byte, n), make([]float32, len(x))
	if err := QuantizeRow(ty, q, x); err != nil {
		t.Fatal(err)
	}
	if err := DequantizeRow(ty, y, q); err != nil {
		t.Fatal(err)
	}
	return q, y
}

// halfErr bounds the error of storing v as a half: 2^-11 relative for
// normal halves, 2^-25 absolute for subnormal ones.
func halfErr(v float32) float32 { return max(abs32(v)/2048, 0x1p-25) }

// TestLegacyErrorBounds checks each legacy block's largest error against its
// step d: half a step for Q8_0 and the _1 formats, a whole step for
// Q4_0/Q5_0, whose level range is one short on the side opposite the largest
// weight; plus what storing d (times the largest level) and m as halves
// costs.
func TestLegacyErrorBounds(t *testing.T) {
	for _, c := range []struct {
		ty     Type
		steps  float32 // error bound in steps
		levels float32 // largest level magnitude
	}{{Q8_0, 0.5, 127}, {Q4_1, 0.5, 15}, {Q5_1, 0.5, 31}, {Q4_0, 1, 8}, {Q5_0, 1, 16}} {
		for row := 0; row < 6; row++ {
			x := bulkRow(row)
			q, y := roundTrip(t, c.ty, x)
			bb := c.ty.BlockBytes()
			for b := 0; b < len(x)/QK; b++ {
				d := abs32(half(q[b*bb:]))
				var mErr float32
				if c.ty == Q4_1 || c.ty == Q5_1 {
					mErr = halfErr(half(q[b*bb+2:]))
				}
				bound := c.steps*d + c.levels*halfErr(d) + mErr
				for i := b * QK; i < (b+1)*QK; i++ {
					if e := abs32(x[i] - y[i]); e > bound {
						t.Fatalf("%v row %d weight %d: error %g > %g (d %g)", c.ty, row, i, e, bound, d)
					}
				}
			}
		}
	}
}

// TestKQuantErrorBounds checks the root-mean-square error of the K-quants
// and Q8_K against the row's RMS on random rows (the bounds sit about 1.5×
// above what ggml's formulas achieve), and Q8_K's largest error against
// half its float32 step.
func TestKQuantErrorBounds(t *testing.T) {
	bounds := map[Type]float64{Q4_K: 0.1, Q5_K: 0.05, Q6_K: 0.025, Q8_K: 0.009}
	for ty, bound := range bounds {
		for _, row := range []int{0, 1, 3, 4} {
			x := bulkRow(row)
			_, y := roundTrip(t, ty, x)
			var se, sx float64
			for i := range x {
				se += float64((x[i] - y[i]) * (x[i] - y[i]))
				sx += float64(x[i] * x[i])
			}
			if rel := math.Sqrt(se / sx); rel > bound {
				t.Errorf("%v row %d: relative RMS error %.4f > %.4f", ty, row, rel, bound)
			}
		}
	}
	x := bulkRow(0)
	q, y := roundTrip(t, Q8_K, x)
	for b := 0; b < len(x)/QKK; b++ {
		d := abs32(math.Float32frombits(binary.LittleEndian.Uint32(q[b*Q8_K.BlockBytes():])))
		for i := b * QKK; i < (b+1)*QKK; i++ {
			if e := abs32(x[i] - y[i]); e > 0.5001*d {
				t.Fatalf("Q8_K weight %d: error %g > d/2 (d %g)", i, e, d)
			}
		}
	}
}

// TestFloatFormats round-trips the plain float types.
func TestFloatFormats(t *testing.T) {
	x := []float32{0, -1.5, 3.14159, 65504, 1e-8, float32(math.Inf(-1))}
	_, y := roundTrip(t, F32, x)
	for i := range x {
		if y[i] != x[i] {
			t.Errorf("F32 %g -> %g", x[i], y[i])
		}
	}
	for _, ty := range []Type{F16, BF16} {
		_, y := roundTrip(t, ty, x)
		for i, v := range x[:4] {
			if e := abs32(y[i] - v); e > abs32(v)/128 {
				t.Errorf("%v %g -> %g", ty, v, y[i])
			}
		}
		if !math.IsInf(float64(y[5]), -1) {
			t.Errorf("%v: -Inf -> %g", ty, y[5])
		}
	}
}

// TestRowErrors checks that unsupported types and mismatched lengths are
// refused with an error, not a panic.
func TestRowErrors(t *testing.T) {
	x := make([]float32, 256)
	for _, c := range []struct {
		ty      Type
		nb      int
		n       int
		message string
	}{
		{Q2_K, 84, 256, "no reference conversion"},
		{IQ4_XS, 136, 256, "no reference conversion"},
		{Type(4), 18, 32, "no reference conversion"},
		{Q8_0, 271, 256, "takes 272 bytes, not 271"},
		{Q4_K, 144, 100, "not a whole number"},
	} {
		err := QuantizeRow(c.ty, make([]byte, c.nb), x[:c.n])
		if err == nil || !strings.Contains(err.Error(), c.message) {
			t.Errorf("QuantizeRow(%v, %d bytes, %d weights) = %v, want %q", c.ty, c.nb, c.n, err, c.message)
		}
		err = DequantizeRow(c.ty, x[:c.n], make([]byte, c.nb))
		if err == nil || !strings.Contains(err.Error(), c.message) {
			t.Errorf("DequantizeRow(%v, %d weights, %d bytes) = %v, want %q", c.ty, c.n, c.nb, err, c.message)
		}
	}
	if !Q6_K.Convertible() || Q3_K.Convertible() {
		t.Error("Convertible: Q6_K should be, Q3_K not")
	}
}

// TestNonFinite feeds NaN and ±Inf weights to every quantizer: none panics,
// and every format is block-local, so the blocks without them come out as
// they would without them. (The blocks holding them are unspecified: ggml's
// formulas turn NaN or Inf into ints there, which C leaves undefined.)
func TestNonFinite(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for ty := range codecs {
		x := bulkRow(1)
		clean, _ := roundTrip(t, ty, x)
		x[3], x[4], x[5] = nan, inf, -inf // all in the first block of every type
		dirty, y := roundTrip(t, ty, x)
		skip := ty.BlockBytes() // the first block holds weights 0–5
		if ty.BlockElems() == 1 {
			skip *= 6
			if y[3] == y[3] || y[4] != inf || y[5] != -inf {
				t.Errorf("%v: NaN, Inf, -Inf -> %g %g %g", ty, y[3], y[4], y[5])
			}
		}
		if string(clean[skip:]) != string(dirty[skip:]) {
			t.Errorf("%v: a NaN or Inf changed blocks that do not hold it", ty)
		}
	}
	if FP32ToFP16(-nan) != 0xFE00 || FP32ToFP16(nan)&0x7FFF != 0x7E00 {
		t.Errorf("FP32ToFP16(NaN) = %#x, want ggml's 0x7E00 with the sign", FP32ToFP16(nan))
	}
}
