package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/internal/sysmem"
)

// matmulBenchOpts are the flags of `gollm bench matmul`.
type matmulBenchOpts struct {
	sizes   []string
	dtypes  []string
	threads int
	json    bool
	noGonum bool
	seconds float64
}

func init() {
	var o matmulBenchOpts
	cmd := &cobra.Command{
		Use:   "matmul",
		Short: "GEMM/GEMV GFLOP/s of gollm's kernels against gonum blas32, same run",
		Long: `Times out[M×N] = x[M×K] · wᵀ (w stored [N×K] as f32, f16 or bf16, like an
HF Linear weight) with gollm's kernels, and gonum's blas32.Gemm on the same
f32 operands as the pure-Go anchor. --size N means M=K=N; MxKxN gives all
three (M=1 is the decode GEMV). Both libraries run on --threads threads;
each case reports the median of repeats.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMatmulBench(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.sizes, "size", []string{"512", "1024", "2048"}, "problem size: N (square) or MxKxN; repeatable")
	f.StringSliceVar(&o.dtypes, "dtype", []string{"f32"}, "weight storage: f32, f16 or bf16; repeatable")
	addThreads(f, &o.threads)
	f.BoolVar(&o.json, "json", false, "one JSON object per case on stdout")
	f.BoolVar(&o.noGonum, "no-gonum", false, "skip the gonum anchor")
	f.Float64Var(&o.seconds, "seconds", 1, "time budget per case, in seconds (at least 3 repeats)")
	benchCmd.AddCommand(cmd)
}

// matmulCase is one result line.
type matmulCase struct {
	M      int     `json:"m"`
	K      int     `json:"k"`
	N      int     `json:"n"`
	DType  string  `json:"dtype"`
	Impl   string  `json:"impl"`
	GFLOPS float64 `json:"gflops"` // at the median time
	Timing timing  `json:"timing"`
}

func runMatmulBench(w io.Writer, o matmulBenchOpts) error {
	shapes := make([][3]int, 0, len(o.sizes))
	for _, s := range o.sizes {
		sh, err := parseMatmulSize(s)
		if err != nil {
			return err
		}
		if err := sysmem.Check(matmulBytes(sh), fmt.Sprintf("--size %s", s), "use a smaller --size"); err != nil {
			return err
		}
		shapes = append(shapes, sh)
	}
	for _, d := range o.dtypes {
		if d != "f32" && d != "f16" && d != "bf16" {
			return fmt.Errorf("--dtype %q: want f32, f16 or bf16", d)
		}
	}
	if err := setThreads(o.threads); err != nil {
		return err
	}
	runtime.GOMAXPROCS(parallel.Threads()) // gonum's threads too
	fmt.Fprintf(os.Stderr, "gollm bench matmul: backend %s, %d threads\n", kernels.Backend(), parallel.Threads())
	rep, err := newBenchReport(w, o.json, benchColumn{"m", 6}, benchColumn{"k", 6}, benchColumn{"n", 6},
		benchColumn{"dtype", 5}, benchColumn{"impl", 6}, benchColumn{"GFLOP/s", 9}, benchColumn{"vs gonum", 8})
	if err != nil {
		return err
	}
	timer := benchTimer{warmUp: true, reps: 3, seconds: o.seconds}
	for _, sh := range shapes {
		m, k, n := sh[0], sh[1], sh[2]
		r := rand.New(rand.NewPCG(uint64(m), uint64(k*n)))
		x, wt, out := randSlice(r, m*k), randSlice(r, n*k), make([]float32, m*n)
		flops := 2 * float64(m) * float64(k) * float64(n)
		gonum := 0.0
		if !o.noGonum {
			a := blas32.General{Rows: m, Cols: k, Stride: k, Data: x}
			b := blas32.General{Rows: n, Cols: k, Stride: k, Data: wt}
			c := blas32.General{Rows: m, Cols: n, Stride: n, Data: out}
			tm := timer.time(func() { blas32.Gemm(blas.NoTrans, blas.Trans, 1, a, b, 0, c) })
			gonum = flops / tm.Median / 1e9
			if err := emitMatmul(rep, matmulCase{m, k, n, "f32", "gonum", gonum, tm}, 0); err != nil {
				return err
			}
		}
		for _, d := range o.dtypes {
			tm := timer.time(matmulRunner(d, x, m, k, wt, n, out))
			if err := emitMatmul(rep, matmulCase{m, k, n, d, "gollm", flops / tm.Median / 1e9, tm}, gonum); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseMatmulSize reads "N" or "MxKxN".
func parseMatmulSize(s string) ([3]int, error) {
	parts := strings.Split(strings.ToLower(s), "x")
	if len(parts) == 1 {
		parts = []string{parts[0], parts[0], parts[0]}
	}
	var sh [3]int
	if len(parts) != 3 {
		return sh, fmt.Errorf("--size %q: want N or MxKxN", s)
	}
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 {
			return sh, fmt.Errorf("--size %q: %q is not a positive integer", s, p)
		}
		sh[i] = v
	}
	return sh, nil
}

// matmulBytes estimates the memory of one case of shape M×K×N: x, the
// weights in f32 and once more converted, and the outputs of both
// libraries, as float32 (float64 first, so absurd sizes do not overflow).
func matmulBytes(sh [3]int) int64 {
	m, k, n := float64(sh[0]), float64(sh[1]), float64(sh[2])
	b := 4 * (m*k + 2*n*k + 2*m*n)
	if b > math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return int64(b)
}

// matmulRunner returns one gollm product of x with wt stored as dtype.
func matmulRunner(dtype string, x []float32, m, k int, wt []float32, n int, out []float32) func() {
	if dtype == "f32" {
		return func() { kernels.MatMulF32(out, x, m, k, wt, n) }
	}
	bits := make([]uint16, len(wt))
	for i, v := range wt {
		if dtype == "bf16" {
			bits[i] = uint16(math.Float32bits(v) >> 16)
		} else {
			bits[i] = f32ToF16Bits(v)
		}
	}
	if dtype == "bf16" {
		return func() { kernels.MatMulBF16(out, x, m, k, bits, n) }
	}
	return func() { kernels.MatMulF16(out, x, m, k, bits, n) }
}

// f32ToF16Bits rounds v (|v| < 2¹⁵, normal range) to half precision by
// truncating the mantissa, which is all a benchmark operand needs.
func f32ToF16Bits(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	exp := int((b>>23)&0xff) - 127 + 15
	if exp <= 0 {
		return sign
	}
	return sign | uint16(min(exp, 30))<<10 | uint16(b>>13)&0x3ff
}

func randSlice(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// emitMatmul writes one case; gonum > 0 adds the ratio to the anchor in
// table mode.
func emitMatmul(rep *benchReport, c matmulCase, gonum float64) error {
	ratio := ""
	if gonum > 0 {
		ratio = fmt.Sprintf("%.1fx", c.GFLOPS/gonum)
	}
	return rep.add(c, strconv.Itoa(c.M), strconv.Itoa(c.K), strconv.Itoa(c.N), c.DType, c.Impl, fmt.Sprintf("%.1f", c.GFLOPS), ratio)
}
