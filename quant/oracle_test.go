package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"testing"
)

// The oracle: testdata/ggml_ref.bin holds what ggml's own C made of the rows
// refRows generates (tools/quantref/quantref.c writes it; its header says how
// to rebuild it and lays out the file).

// refTypes are the fixture's types, in its order.
var refTypes = []Type{Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, Q8_K}

const (
	refRows = 14
	refCols = 512
	fnv0    = 14695981039346656037
)

// xorshift is quantref.c's generator: xorshift32, and floats from its top 24
// bits. float32() conversions keep each step rounded as the C does.
type xorshift uint32

func (r *xorshift) next() uint32 {
	x := uint32(*r)
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	*r = xorshift(x)
	return x
}

func (r *xorshift) unif() float32 { return float32(r.next()>>8) * 0x1p-24 }
func (r *xorshift) sym() float32  { return float32(2*r.unif()) - 1 }
func (r *xorshift) gauss() float32 {
	s := r.unif() + r.unif()
	s = s + r.unif()
	s = s + r.unif()
	return s - 2
}

// refRow is quantref.c's fixture row row (of kind row).
func refRow(row int) []float32 { return genRow(row, 0x9E3779B9*uint32(row+1)) }

// bulkRow is quantref.c's bulk row row.
func bulkRow(row int) []float32 {
	kinds := [...]int{0, 1, 2, 3, 4, 5, 9, 12, 13}
	return genRow(kinds[row%len(kinds)], 0x85EBCA6B*uint32(row+1))
}

// genRow is quantref.c's gen: a row of kind 0–5 (random, of several scales
// and shapes) or 6–13 (zeros, constants, an outlier, tiny values, negatives
// only, ±65504), from the generator seeded with seed.
func genRow(kind int, seed uint32) []float32 {
	r := xorshift(seed)
	x := make([]float32, refCols)
	for i := range x {
		var v float32
		switch kind {
		case 0:
			v = r.sym()
		case 1:
			v = r.gauss() * 0.02
		case 2:
			v = r.sym() * 1e-3
		case 3:
			v = r.sym() * 100
		case 4:
			v = r.unif()
		case 5:
			if v = r.gauss() * 0.02; i%37 == 5 {
				v *= 50
			}
		case 6:
		case 7:
			v = 0.5
		case 8:
			v = -3
		case 9:
			if v = r.sym() * 0.01; i == 100 {
				v = 1e4
			}
		case 10:
			v = r.sym() * 1e-6
		case 11:
			v = r.sym() * 1e-30
		case 12:
			v = -r.unif() - 0.1
		default:
			if v = r.sym() * 65504; i%2 == 1 {
				v = 65504
			}
		}
		x[i] = v
	}
	return x
}

func fnv(h uint64, b []byte) uint64 {
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

func f32bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// reader walks the fixture.
type reader struct {
	t *testing.T
	b []byte
}

func (r *reader) bytes(n int) []byte {
	if len(r.b) < n {
		r.t.Fatalf("ggml_ref.bin ends early")
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

func (r *reader) u32() uint32 { return binary.LittleEndian.Uint32(r.bytes(4)) }
func (r *reader) u64() uint64 { return binary.LittleEndian.Uint64(r.bytes(8)) }

func openRef(t *testing.T) *reader {
	b, err := os.ReadFile("testdata/ggml_ref.bin")
	if err != nil {
		t.Fatal(err)
	}
	r := &reader{t, b}
	if string(r.bytes(8)) != "GQREF1\x00\x00" || r.u32() != refRows || r.u32() != refCols {
		t.Fatal("ggml_ref.bin: wrong magic or shape")
	}
	h := uint64(fnv0)
	for row := 0; row < refRows; row++ {
		h = fnv(h, f32bytes(refRow(row)))
	}
	if want := r.u64(); h != want {
		t.Fatalf("the Go row generator drifted from quantref.c's: hash %x, want %x", h, want)
	}
	return r
}

// TestHalfConversionsMatchGGML compares the fp16 and bf16 conversions with
// ggml's on a million fp32 bit patterns (every 4093rd) and on every half.
func TestHalfConversionsMatchGGML(t *testing.T) {
	r := openRef(t)
	h16, hb, h32 := uint64(fnv0), uint64(fnv0), uint64(fnv0)
	var b [4]byte
	for u := uint64(0); u < 1<<32; u += 4093 {
		f := math.Float32frombits(uint32(u))
		binary.LittleEndian.PutUint16(b[:], FP32ToFP16(f))
		h16 = fnv(h16, b[:2])
		binary.LittleEndian.PutUint16(b[:], FP32ToBF16(f))
		hb = fnv(hb, b[:2])
	}
	for u := 0; u < 1<<16; u++ {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(FP16ToFP32(uint16(u))))
		h32 = fnv(h32, b[:])
	}
	for _, c := range []struct {
		name      string
		got, want uint64
	}{{"fp32->fp16", h16, r.u64()}, {"fp16->fp32", h32, r.u64()}, {"fp32->bf16", hb, r.u64()}} {
		if c.got != c.want {
			t.Errorf("%s differs from ggml's (hash %x, want %x)", c.name, c.got, c.want)
		}
	}
}

// kquantDiffBound is how many of a K-quant's blocks may differ from ggml's
// quantizer in one comparison (the issue allows "within rounding"); the
// formulas are followed step for step, so none do today.
const kquantDiffBound = 0

// TestOracle checks, per type, QuantizeRow's bytes against ggml's on every
// fixture row and DequantizeRow's floats against ggml's, both on ggml's
// quantized rows and on a row of random block bytes, bit for bit.
func TestOracle(t *testing.T) {
	r := openRef(t)
	r.bytes(24) // the conversion hashes
	for _, ty := range refTypes {
		id, rb := Type(r.u32()), int(r.u32())
		if n, _ := ty.RowBytes(refCols); id != ty || n != rb {
			t.Fatalf("fixture has type %v with rows of %d bytes, want %v in %d", id, rb, ty, n)
		}
		want := make([][]byte, refRows)
		diffBlocks := 0
		for row := range want {
			want[row] = r.bytes(rb)
			got := make([]byte, rb)
			if err := QuantizeRow(ty, got, refRow(row)); err != nil {
				t.Fatal(err)
			}
			diffBlocks += countDiffBlocks(t, ty, row, got, want[row])
		}
		if bound := diffBound(ty); diffBlocks > bound {
			t.Errorf("%v: %d blocks of %d differ from ggml's quantizer (bound %d)", ty, diffBlocks, refRows*refCols/ty.BlockElems(), bound)
		}
		for row := 0; row <= refRows; row++ {
			src := []byte(nil)
			if row < refRows {
				src = want[row]
			} else {
				src = r.bytes(rb)
			}
			got := make([]float32, refCols)
			if err := DequantizeRow(ty, got, src); err != nil {
				t.Fatal(err)
			}
			if w := r.bytes(4 * refCols); !bytes.Equal(f32bytes(got), w) {
				i := firstDiff(f32bytes(got), w) / 4
				t.Errorf("%v: dequantized row %d differs from ggml's at %d: %g, want %g", ty, row, i, got[i],
					math.Float32frombits(binary.LittleEndian.Uint32(w[4*i:])))
			}
		}
	}
	checkBulk(t, r)
	if len(r.b) != 0 {
		t.Errorf("ggml_ref.bin: %d bytes left over", len(r.b))
	}
}

// checkBulk compares the bulk rows' blocks by their hashes, counting the
// blocks that differ, and their dequantized floats by one hash per type.
func checkBulk(t *testing.T, r *reader) {
	rows, cols := int(r.u32()), int(r.u32())
	if cols != refCols {
		t.Fatalf("bulk rows of %d weights, want %d", cols, refCols)
	}
	x := make([][]float32, rows)
	for row := range x {
		x[row] = bulkRow(row)
	}
	for _, ty := range refTypes {
		rb, _ := ty.RowBytes(cols)
		bb := ty.BlockBytes()
		q, y := make([]byte, rb), make([]float32, cols)
		hy, diff := uint64(fnv0), 0
		for row := range x {
			if err := QuantizeRow(ty, q, x[row]); err != nil {
				t.Fatal(err)
			}
			for b := 0; b < rb; b += bb {
				if uint32(fnv(fnv0, q[b:b+bb])) != r.u32() {
					diff++
				}
			}
			if err := DequantizeRow(ty, y, q); err != nil {
				t.Fatal(err)
			}
			hy = fnv(hy, f32bytes(y))
		}
		if want := r.u64(); diff == 0 && hy != want {
			t.Errorf("%v: bulk dequantized floats differ from ggml's", ty)
		}
		if bound := diffBound(ty); diff > bound {
			t.Errorf("%v: %d bulk blocks of %d differ from ggml's quantizer (bound %d)", ty, diff, rows*cols/ty.BlockElems(), bound)
		} else if diff > 0 {
			t.Logf("%v: %d bulk blocks of %d differ from ggml's quantizer", ty, diff, rows*cols/ty.BlockElems())
		}
	}
}

// diffBound is how many blocks of type ty may differ from ggml's quantizer
// in one comparison: none for the legacy formats and Q8_K, whose
// quantization is specified bit for bit, kquantDiffBound for the others.
func diffBound(ty Type) int {
	if ty.BlockElems() == QKK && ty != Q8_K {
		return kquantDiffBound
	}
	return 0
}

// countDiffBlocks returns how many blocks of got differ from want, logging
// the first.
func countDiffBlocks(t *testing.T, ty Type, row int, got, want []byte) int {
	bb, n := ty.BlockBytes(), 0
	for i := 0; i < len(got); i += bb {
		if !bytes.Equal(got[i:i+bb], want[i:i+bb]) {
			if n == 0 {
				t.Logf("%v row %d block %d: first differing byte %d", ty, row, i/bb, firstDiff(got[i:i+bb], want[i:i+bb]))
			}
			n++
		}
	}
	return n
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
