//go:build !purego

package kernels

import (
	"encoding/binary"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/quant"
)

// The AMX prefill product. A panel of 16 weight rows, unpacked to signed
// bytes, is tile A; 16 quantized activation rows in VNNI order are tile
// B; TDPBSSD gives their exact int32 sums per sub-block (the g weights
// that share one scale), which AVX-512 scales into float accumulators
// (amx_amd64.s). Each panel is unpacked once and meets every activation
// row, so the unpacking is paid once per product, not once per token.

//go:noescape
func amxScaled32(m, nsub int, a *byte, lda, astep int, b *byte, act, wt, out *float32, ldo, mask int, tmp *int32, cfg *byte)

//go:noescape
func amxOffset32(m, nsub int, a *byte, lda, astep int, b *byte, act, wt, out *float32, ldo, mask int, tmp *int32, cfg *byte)

//go:noescape
func amxOffset16(m, nsub int, a *byte, lda, astep int, b *byte, act, wt, out *float32, ldo, mask int, tmp *int32, cfg *byte)

const amxRows = 16 // weight rows per panel and activation rows per group

// amxUsable reports whether the CPU has AMX-INT8 with AVX-512 and Linux
// granted this process the tile data state (arch_prctl
// ARCH_REQ_XCOMP_PERM for XTILEDATA, feature 18; without it the first
// tile instruction faults).
func amxUsable() bool {
	x := cpu.X86
	if !x.HasAMXTile || !x.HasAMXInt8 || !x.HasAVX512F || !x.HasAVX512BW {
		return false
	}
	const archReqXcompPerm, xfeatureXtiledata = 0x1023, 18
	_, _, errno := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtiledata, 0)
	return errno == 0
}

// amxFormat is how one weight type enters the AMX product.
type amxFormat struct {
	g    int  // weights per sub-block: one scale each
	off  bool // the type has an offset term (mins)
	kern func(m, nsub int, a *byte, lda, astep int, b *byte, act, wt, out *float32, ldo, mask int, tmp *int32, cfg *byte)
	// panel sets p.q to rows j0 … j0+nr−1 of w as signed bytes (rows
	// ≥ nr zero), or points p.a at w's own bytes where they already are
	// signed bytes, and fills p.wt with each sub-block's scale and offset.
	panel func(w *qmat, k, j0, nr int, p *amxPanel)
}

var amxFormats = map[quant.Type]amxFormat{
	quant.Q8_0: {32, false, amxScaled32, amxPanelQ8_0},
	quant.Q4_K: {32, true, amxOffset32, amxPanelQ4K},
	quant.Q6_K: {16, true, amxOffset16, amxPanelQ6K},
}

// amxPanel is one thread's weight panel and scratch.
type amxPanel struct {
	q          []byte    // [16][k] unpacked quants
	a          *byte     // tile A's first row: &q[0] or the weights' own bytes
	lda, astep int       // tile A's row stride and sub-block step, in bytes
	wt         []float32 // [nsub][2][16]: ws, mw per sub-block and row
	out        []float32 // [groups][16][16]
	tmp        []int32   // 1 KiB tile store, 64-byte aligned
	tmpBuf     []int32
	cfg        [64]byte
	cfgG       int // the sub-block length cfg is set for
}

var amxPanels sync.Pool

func getAMXPanel(k, nsub, g int) *amxPanel {
	p, _ := amxPanels.Get().(*amxPanel)
	if p == nil {
		buf := make([]int32, 512+16)
		off := (64 - int(uintptr(unsafe.Pointer(&buf[0]))%64)) % 64 / 4
		p = &amxPanel{tmp: buf[off : off+512]}
	}
	p.q = grow(p.q, amxRows*k)
	p.wt = grow(p.wt, nsub*2*amxRows)
	if p.cfgG != g {
		// Palette 1: tile i has cfg[48+i] rows of the uint16 at
		// cfg[16+2i] bytes. A (tmm0, tmm4): 16 rows of g; B (tmm1,
		// tmm5): g/4 rows of 64; C (tmm2, tmm3): 16 rows of 64.
		p.cfg = [64]byte{}
		p.cfg[0] = 1
		for _, t := range []struct{ i, rows, cols int }{{0, amxRows, g}, {4, amxRows, g}, {1, g / 4, 64}, {5, g / 4, 64}, {2, amxRows, 64}, {3, amxRows, 64}} {
			binary.LittleEndian.PutUint16(p.cfg[16+2*t.i:], uint16(t.cols))
			p.cfg[48+t.i] = byte(t.rows)
		}
		p.cfgG = g
	}
	return p
}

// amxActs is x's quantized rows in tile B's order: per group of 16 rows
// and sub-block, g/4 rows of 16×4 bytes (row r holds quants 4r … 4r+3 of
// each of the 16 activation rows), and per group and sub-block the 16
// rows' scales dx and scaled sums sx. Rows past m are zero.
type amxActs struct {
	qs  []byte
	tab []float32
}

var amxActsPool sync.Pool

// packAMXActs reorders xq (m rows of k) for sub-blocks of g.
func packAMXActs(xq *qrows, m, k, g int) *amxActs {
	s, _ := amxActsPool.Get().(*amxActs)
	if s == nil {
		s = new(amxActs)
	}
	nsub, groups := k/g, (m+amxRows-1)/amxRows
	s.qs = grow(s.qs, groups*nsub*16*g)
	s.tab = grow(s.tab, groups*nsub*2*amxRows)
	parallel.For(groups, 1, func(lo, hi int) {
		for gi := lo; gi < hi; gi++ {
			qs := s.qs[gi*nsub*16*g : (gi+1)*nsub*16*g]
			tab := s.tab[gi*nsub*2*amxRows : (gi+1)*nsub*2*amxRows]
			for t := range amxRows {
				r := gi*amxRows + t
				if r >= m {
					for j := range nsub {
						for i := 0; i < g/4; i++ {
							binary.LittleEndian.PutUint32(qs[(j*g/4+i)*64+4*t:], 0)
						}
						tab[j*32+t], tab[j*32+16+t] = 0, 0
					}
					continue
				}
				src := unsafe.Slice((*byte)(unsafe.Pointer(&xq.qs[r*k])), k)
				for j := range nsub {
					for i := 0; i < g/4; i++ {
						copy(qs[(j*g/4+i)*64+4*t:(j*g/4+i)*64+4*t+4], src[j*g+4*i:])
					}
				}
				row := xq.row(r)
				amxActScales(row, g, tab, t)
			}
		}
	})
	return s
}

// amxActScales writes row t's dx and sx per sub-block of g into tab.
func amxActScales(x qrow, g int, tab []float32, t int) {
	nsub := len(x.qs) / g
	if x.s != nil { // Q8_1: one scale and sum per 32
		for j := range nsub {
			tab[j*32+t], tab[j*32+16+t] = x.d[j], x.s[j]
		}
		return
	}
	per := quant.QKK / g // Q8_K: one scale per 256, sums per 16
	for j := range nsub {
		d := x.d[j/per]
		var s int
		for _, b := range x.bsums[j*g/16 : (j+1)*g/16] {
			s += int(b)
		}
		tab[j*32+t], tab[j*32+16+t] = d, d*float32(s)
	}
}

// pad zeroes the unpacked panel's rows from nr on: their quants and
// their scales and offsets in all nsub sub-blocks, so that they add
// nothing.
func (p *amxPanel) pad(k, nr, nsub int) {
	for r := nr; r < amxRows; r++ {
		clear(p.q[r*k : (r+1)*k])
		for j := range nsub {
			p.wt[j*32+r], p.wt[j*32+16+r] = 0, 0
		}
	}
}

// amxPanelQ8_0 points tile A at the weights' own bytes (a Q8_0 block is a
// half scale then 32 signed bytes); the last, short panel is copied so
// that tile loads stay inside the matrix.
func amxPanelQ8_0(w *qmat, k, j0, nr int, p *amxPanel) {
	nsub := k / quant.QK
	for r := range nr {
		row := w.row(j0 + r)
		for j := range nsub {
			p.wt[j*32+r], p.wt[j*32+16+r] = half(row[34*j:]), 0
		}
	}
	if nr == amxRows {
		p.a, p.lda, p.astep = &w.data[j0*w.rowBytes+2], w.rowBytes, 34
		return
	}
	p.pad(k, nr, nsub)
	for r := range nr {
		dst, row := p.q[r*k:(r+1)*k], w.row(j0+r)
		for j := range nsub {
			copy(dst[32*j:32*j+32], row[34*j+2:34*j+34])
		}
	}
	p.a, p.lda, p.astep = &p.q[0], k, 32
}

// amxPanelQ4K unpacks Q4_K rows to their 4-bit quants q (0 … 15), with
// weight = d·sc·q − dmin·m per sub-block of 32: ws = d·sc, mw = −dmin·m.
func amxPanelQ4K(w *qmat, k, j0, nr int, p *amxPanel) {
	nb := k / quant.QKK
	const lo4 = 0x0f0f0f0f0f0f0f0f
	p.pad(k, nr, 8*nb)
	for r := range nr {
		dst, row := p.q[r*k:(r+1)*k], w.row(j0+r)
		for b := range nb {
			blk := row[144*b : 144*(b+1)]
			d, dmin := half(blk), half(blk[2:])
			sc := blk[4:16]
			for j := range 8 {
				s, m := scaleMin(j, sc)
				p.wt[(8*b+j)*32+r] = d * float32(s)
				p.wt[(8*b+j)*32+16+r] = -dmin * float32(m)
			}
			qs, out := blk[16:], dst[quant.QKK*b:]
			for pr := range 4 {
				for i := 0; i < 32; i += 8 {
					v := binary.LittleEndian.Uint64(qs[32*pr+i:])
					binary.LittleEndian.PutUint64(out[64*pr+i:], v&lo4)
					binary.LittleEndian.PutUint64(out[64*pr+32+i:], v>>4&lo4)
				}
			}
		}
	}
	p.a, p.lda, p.astep = &p.q[0], k, 32
}

// amxPanelQ6K unpacks Q6_K rows to their unsigned 6-bit quants q (0 …
// 63), with weight = d·sc·(q − 32) per sub-block of 16: ws = d·sc, mw =
// −32·d·sc.
func amxPanelQ6K(w *qmat, k, j0, nr int, p *amxPanel) {
	nb := k / quant.QKK
	const lo4, lo2 = 0x0f0f0f0f0f0f0f0f, 0x0303030303030303
	p.pad(k, nr, 16*nb)
	for r := range nr {
		dst, row := p.q[r*k:(r+1)*k], w.row(j0+r)
		for b := range nb {
			blk := row[210*b : 210*(b+1)]
			d := half(blk[208:])
			for j := range 16 {
				s := d * float32(int8(blk[192+j]))
				p.wt[(16*b+j)*32+r], p.wt[(16*b+j)*32+16+r] = s, -32*s
			}
			out := dst[quant.QKK*b:]
			for h := range 2 {
				ql, qh, o := blk[64*h:], blk[128+32*h:], out[128*h:]
				for l := 0; l < 32; l += 8 {
					l0 := binary.LittleEndian.Uint64(ql[l:])
					l1 := binary.LittleEndian.Uint64(ql[l+32:])
					hb := binary.LittleEndian.Uint64(qh[l:])
					binary.LittleEndian.PutUint64(o[l:], l0&lo4|(hb&lo2)<<4)
					binary.LittleEndian.PutUint64(o[l+32:], l1&lo4|(hb>>2&lo2)<<4)
					binary.LittleEndian.PutUint64(o[l+64:], l0>>4&lo4|(hb>>4&lo2)<<4)
					binary.LittleEndian.PutUint64(o[l+96:], l1>>4&lo4|(hb>>6&lo2)<<4)
				}
			}
		}
	}
	p.a, p.lda, p.astep = &p.q[0], k, 16
}

// qgemmAMX computes out[m×n] = x[m×k] · wᵀ on AMX tiles for the types in
// amxFormats, reporting false (and doing nothing) for the others. Each
// element is the same integer block sums as qgemm's, scaled in float32 per
// sub-block; results do not depend on the thread count.
func qgemmAMX(out, x []float32, m, k int, q *qmat, n int) bool {
	f, ok := amxFormats[q.t]
	if !ok || k/f.g%2 != 0 {
		return false
	}
	xq := quantizeRows(q.f.act, x, m, k)
	defer putQrows(xq)
	acts := packAMXActs(xq, m, k, f.g)
	defer amxActsPool.Put(acts)
	nsub := k / f.g
	panels := (n + amxRows - 1) / amxRows
	// Blocking: a task prepares per panels of 16 weight rows (about 1 MiB
	// of quants, fewer when there are few panels per thread), then passes
	// chunks of chunk activation rows (about 256 KiB) over all of them,
	// so both stay in L2 while they meet.
	per := max(1, min(8, (1<<20)/(amxRows*k), panels/(4*parallel.Threads())))
	chunk := max(1, (1<<18)/(amxRows*k)) * amxRows
	groupBytes, groupTab := nsub*16*f.g, nsub*2*amxRows
	parallel.For((panels+per-1)/per, 1, func(lo, hi int) {
		ps := make([]*amxPanel, per)
		for i := range ps {
			ps[i] = getAMXPanel(k, nsub, f.g)
			defer amxPanels.Put(ps[i])
		}
		for blk := lo; blk < hi; blk++ {
			p0, p1 := blk*per, min(panels, (blk+1)*per)
			for pi := p0; pi < p1; pi++ {
				j0 := pi * amxRows
				f.panel(q, k, j0, min(amxRows, n-j0), ps[pi-p0])
			}
			for t0 := 0; t0 < m; t0 += chunk {
				mc, g0 := min(chunk, m-t0), t0/amxRows
				for pi := p0; pi < p1; pi++ {
					p, j0 := ps[pi-p0], pi*amxRows
					nr := min(amxRows, n-j0)
					_ = out[(t0+mc-1)*n+j0+nr-1]
					f.kern(mc, nsub, p.a, p.lda, p.astep, &acts.qs[g0*groupBytes], &acts.tab[g0*groupTab], &p.wt[0], &out[t0*n+j0], n, 1<<nr-1, &p.tmp[0], &p.cfg[0])
				}
			}
		}
	})
	return true
}
