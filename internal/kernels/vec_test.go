package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/x448/float16"
)

// TestDotAxpy checks Dot and Axpy on every implementation and odd length
// against float64 sums.
func TestDotAxpy(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 100, 1027} {
			a, b := randF32(r, n), randF32(r, n+3)
			var ref, abs float64
			for i := range a {
				ref += float64(a[i]) * float64(b[i])
				abs += math.Abs(float64(a[i]) * float64(b[i]))
			}
			if got := Dot(a, b); math.Abs(float64(got)-ref) > float64(n+1)*0x1p-24*abs {
				t.Fatalf("Dot n=%d: %g, want %g", n, got, ref)
			}
			y := randF32(r, n)
			want := make([]float32, n)
			for i := range want {
				want[i] = y[i] + 0.75*a[i]
			}
			Axpy(y, 0.75, a)
			for i := range y {
				if math.Abs(float64(y[i]-want[i])) > 1e-6*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("Axpy n=%d: y[%d] = %g, want %g", n, i, y[i], want[i])
				}
			}
		}
	})
}

// TestWidenExact checks BF16ToF32 and F16ToF32 on every bit pattern.
func TestWidenExact(t *testing.T) {
	src := make([]uint16, 1<<16+5) // odd length exercises the tail
	for i := range src {
		src[i] = uint16(i)
	}
	forEachImpl(t, func(t *testing.T) {
		dst := make([]float32, len(src))
		BF16ToF32(dst, src)
		for i, v := range src {
			if want := uint32(v) << 16; math.Float32bits(dst[i]) != want {
				t.Fatalf("BF16ToF32(%#04x) = %#08x, want %#08x", v, math.Float32bits(dst[i]), want)
			}
		}
		F16ToF32(dst, src)
		for i, v := range src {
			want := float16.Frombits(v).Float32()
			if got := dst[i]; got != want && !(got != got && want != want) {
				t.Fatalf("F16ToF32(%#04x) = %g, want %g", v, got, want)
			}
		}
	})
}

// TestTranspose checks the packing transpose on shapes around its 4- and
// 8-row, 8-column blocks, with strides wider than the block.
func TestTranspose(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, rows := range []int{1, 3, 4, 5, 8, 12, 13, 24, 32} {
			for _, cols := range []int{1, 7, 8, 9, 16, 70} {
				ss, ds := cols+3, rows+2
				src := randF32(r, rows*ss)
				dst := make([]float32, cols*ds)
				active.transpose(dst, ds, src, ss, rows, cols)
				for p := 0; p < cols; p++ {
					for q := 0; q < ds; q++ {
						want := float32(0)
						if q < rows {
							want = src[q*ss+p]
						}
						if dst[p*ds+q] != want {
							t.Fatalf("rows %d cols %d: dst[%d][%d] = %g, want %g", rows, cols, p, q, dst[p*ds+q], want)
						}
					}
				}
			}
		}
	})
}

// TestRMSNormAdd checks RMSNorm against a float64 reference and Add
// against plain sums, on lengths around the unrolled and vector blocks.
func TestRMSNormAdd(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, n := range []int{1, 3, 4, 7, 8, 9, 31, 256, 257} {
			x, w := randF32(r, n), randF32(r, n)
			var ss float64
			for _, v := range x {
				ss += float64(v) * float64(v)
			}
			inv := 1 / math.Sqrt(ss/float64(n)+1e-5)
			dst := make([]float32, n)
			RMSNorm(dst, x, w, 1e-5)
			for i, v := range dst {
				want := float64(x[i]) * inv * float64(w[i])
				if math.Abs(float64(v)-want) > 1e-6*(math.Abs(want)+1e-3) {
					t.Fatalf("RMSNorm n=%d: dst[%d] = %g, want %g", n, i, v, want)
				}
			}
			y := randF32(r, n)
			sum := make([]float32, n)
			for i := range y {
				sum[i] = y[i] + x[i]
			}
			Add(y, x)
			for i := range y {
				if y[i] != sum[i] {
					t.Fatalf("Add n=%d: y[%d] = %g, want %g", n, i, y[i], sum[i])
				}
			}
		}
	})
}
