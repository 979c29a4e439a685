package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/internal/parallel"
)

// BenchmarkMatMulF32 times square-ish prefill GEMMs and a decode GEMV.
func BenchmarkMatMulF32(b *testing.B) {
	for _, s := range [][3]int{{1, 2048, 2048}, {512, 1024, 1024}, {1024, 256, 4096}} {
		m, k, n := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x, w, out := randF32(r, m*k), randF32(r, n*k), make([]float32, m*n)
			for b.Loop() {
				MatMulF32(out, x, m, k, w, n)
			}
			reportMatMul(b, m, k, n, 4)
		})
	}
}

// BenchmarkMatMulBF16 times the bf16 products of small-model shapes: the
// 50257-wide output layer (decode and all-logits prefill), an MLP
// projection, and a 1B-model decode GEMV.
func BenchmarkMatMulBF16(b *testing.B) {
	for _, s := range [][3]int{{1, 256, 50257}, {1, 2048, 8192}, {512, 256, 768}, {512, 768, 256}, {1024, 256, 50257}} {
		m, k, n := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x, out := randF32(r, m*k), make([]float32, m*n)
			w := make([]uint16, n*k)
			for i := range w {
				w[i] = uint16(0x3c00 + r.IntN(0x400)) // ±small normal values
			}
			for b.Loop() {
				MatMulBF16(out, x, m, k, w, n)
			}
			reportMatMul(b, m, k, n, 2)
		})
	}
}

// reportMatMul adds GFLOP/s and the weight-streaming rate (GB/s, the
// figure of merit for decode).
func reportMatMul(b *testing.B, m, k, n, wBytes int) {
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(2*float64(m)*float64(k)*float64(n)/sec/1e9, "GFLOP/s")
	b.ReportMetric(float64(wBytes*n*k)/sec/1e9, "wGB/s")
}

// BenchmarkReadStreams reads 128 MiB from DRAM with the GEMV kernel in
// 1 MiB tasks across the worker threads, each task either one row (one
// stream) or four rows (the four-stream loop): the measurement behind
// reading every decode stream as four (docs/kernels.md).
func BenchmarkReadStreams(b *testing.B) {
	const total, task = 128 << 20 / 4, 1 << 20 / 4 // floats
	w := make([]float32, total)
	for i := range w {
		w[i] = 1
	}
	for _, rows := range []int{1, 4} {
		b.Run(fmt.Sprintf("streams=%d", rows), func(b *testing.B) {
			k := task / rows
			x := make([]float32, k)
			out := make([]float32, total/task*rows)
			for b.Loop() {
				parallel.For(total/task, 1, func(lo, hi int) {
					for t := lo; t < hi; t++ {
						DotRows(out[t*rows:(t+1)*rows], x, 1, w[t*task:(t+1)*task])
					}
				})
			}
			b.ReportMetric(float64(total*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// BenchmarkQuantGEMV times decode products (m = 1) against quantized
// weights of 1B-model shapes (n×k: an up projection and a down
// projection), reporting the weight bytes streamed per second.
func BenchmarkQuantGEMV(b *testing.B) {
	benchQuant(b, 1, [][2]int{{8192, 2048}, {2048, 8192}})
}

// BenchmarkQuantGEMM times prefill products (m = 512) against the same
// shapes.
func BenchmarkQuantGEMM(b *testing.B) {
	benchQuant(b, 512, [][2]int{{8192, 2048}, {2048, 8192}})
}

// benchQuant times every type and shape on each backend but the portable
// one (sub-benchmarks BACKEND/TYPE/NxK), so one run compares them.
func benchQuant(b *testing.B, m int, shapes [][2]int) {
	for _, im := range supportedImpls()[1:] {
		prev := useImpl(im)
		b.Run(im.name, func(b *testing.B) { benchQuantTypes(b, m, shapes) })
		useImpl(prev)
	}
}

func benchQuantTypes(b *testing.B, m int, shapes [][2]int) {
	for _, qt := range qTypes {
		for _, s := range shapes {
			n, k := s[0], s[1]
			b.Run(fmt.Sprintf("%v/%dx%d", qt, n, k), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				data := randQuantRows(r, qt, n, k, true)
				a, err := QuantMat(qt, data, n, k)
				if err != nil {
					b.Fatal(err)
				}
				x, out := randF32(r, m*k), make([]float32, m*n)
				for b.Loop() {
					a.MatMul(out, x, m)
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(2*float64(m)*float64(k)*float64(n)/sec/1e9, "GOP/s")
				b.ReportMetric(float64(len(data))/sec/1e9, "wGB/s")
			})
		}
	}
}

// BenchmarkGEMV times batched decode products against bf16 weights (m = 1,
// 2, 4 and 8 rows of x: that many sequences decoding together) at the
// shapes of a small model's output layer and of its MLP, on each backend
// but the portable one (sub-benchmarks BACKEND/m=M/KxN).
func BenchmarkGEMV(b *testing.B) {
	for _, im := range supportedImpls()[1:] {
		prev := useImpl(im)
		b.Run(im.name, func(b *testing.B) {
			for _, s := range [][2]int{{256, 50257}, {256, 768}} {
				k, n := s[0], s[1]
				r := rand.New(rand.NewPCG(1, 1))
				w := make([]uint16, n*k)
				for i := range w {
					w[i] = uint16(0x3c00 + r.IntN(0x400))
				}
				a := BF16Mat(w, n, k)
				for _, m := range []int{1, 2, 4, 8} {
					b.Run(fmt.Sprintf("m=%d/%dx%d", m, k, n), func(b *testing.B) {
						x, out := randF32(r, m*k), make([]float32, m*n)
						for b.Loop() {
							a.MatMul(out, x, m)
						}
						reportMatMul(b, m, k, n, 2)
					})
				}
			}
		})
		useImpl(prev)
	}
}
