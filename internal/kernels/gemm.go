package kernels

import "github.com/gollm/gollm/internal/parallel"

// bBlockFloats bounds a packed weight block (nc rows × all of k) so that
// it stays in the last-level cache while every row block of x uses it.
const bBlockFloats = 1 << 20

// gemm computes out[m×n] = x[m×k] · wᵀ with the active micro-kernel,
// BLIS-style. For each block of nc weight rows, the rows are widened and
// packed into nr-row panels over the whole depth (each panel reads its rows
// front to back, so strided weights never thrash the TLB); then for each
// depth block of kc the rows of x are packed into mr-row panels and the
// tiles computed in parallel. Each output accumulates its depth blocks in
// order with the same kernel, so results do not depend on the thread count.
func gemm(out, x []float32, m, k int, w wmat, n int) {
	im := active
	mr, nr := im.mr, im.nr
	kc := splitLen(k, im.kc)
	mPanels := (m + mr - 1) / mr
	nc := roundUp(min(n, im.nc, max(nr, bBlockFloats/k)), nr)
	ap := getBuf(mPanels * mr * kc)
	bp := getBuf(nc * k)
	defer putBuf(ap)
	defer putBuf(bp)
	for j0 := 0; j0 < n; j0 += nc {
		nb := min(nc, n-j0)
		nPanels := (nb + nr - 1) / nr
		b := (*bp)[:nPanels*nr*k]
		parallel.For(nPanels, 4, func(lo, hi int) {
			scratch := getBuf(nr * kc)
			for jp := lo; jp < hi; jp++ {
				for p0 := 0; p0 < k; p0 += kc {
					kb := min(kc, k-p0)
					packB(b[jp*nr*k+p0*nr:], w, n, j0+jp*nr, p0, kb, nr, *scratch)
				}
			}
			putBuf(scratch)
		})
		for p0 := 0; p0 < k; p0 += kc {
			kb := min(kc, k-p0)
			a := (*ap)[:mPanels*mr*kb]
			parallel.For(mPanels, 16, func(lo, hi int) {
				for ip := lo; ip < hi; ip++ {
					packA(a[ip*mr*kb:], x, m, k, ip*mr, p0, kb, mr)
				}
			})
			tiles(im, out, a, b[p0*nr:], nr*k, m, n, j0, nb, kb, p0 > 0)
		}
	}
}

// tiles runs the micro-kernel over every tile of the m × nb block of out
// whose columns start at j0, from packed panels a (all rows, depth kb) and
// b (panel jp at b[jp·bStride:], depth kb). Work is split into (row block,
// column group) tasks.
func tiles(im *impl, out, a, b []float32, bStride, m, n, j0, nb, kb int, acc bool) {
	mr, nr := im.mr, im.nr
	mPanels := (m + mr - 1) / mr
	nPanels := (nb + nr - 1) / nr
	icPanels := im.mc / mr
	icBlocks := (mPanels + icPanels - 1) / icPanels
	// Enough column groups that every thread has several tasks.
	groups := min(nPanels, max(1, (4*parallel.Threads()+icBlocks-1)/icBlocks))
	per := (nPanels + groups - 1) / groups
	groups = (nPanels + per - 1) / per
	parallel.For(icBlocks*groups, 1, func(lo, hi int) {
		var edge []float32
		for t := lo; t < hi; t++ {
			ib, g := t/groups, t%groups
			for jp := g * per; jp < min((g+1)*per, nPanels); jp++ {
				bPanel := b[jp*bStride : jp*bStride+nr*kb]
				col := j0 + jp*nr
				cols := min(nr, j0+nb-col)
				for ip := ib * icPanels; ip < min((ib+1)*icPanels, mPanels); ip++ {
					aPanel := a[ip*mr*kb : (ip+1)*mr*kb]
					row := ip * mr
					rows := min(mr, m-row)
					if rows == mr && cols == nr {
						im.gemm(kb, aPanel, bPanel, out[row*n+col:], n, acc)
						continue
					}
					if edge == nil {
						edge = make([]float32, mr*nr)
					}
					im.gemm(kb, aPanel, bPanel, edge, nr, false)
					for r := 0; r < rows; r++ {
						dst := out[(row+r)*n+col : (row+r)*n+col+cols]
						for c, v := range edge[r*nr : r*nr+cols] {
							if acc {
								v += dst[c]
							}
							dst[c] = v
						}
					}
				}
			}
		}
	})
}

// splitLen splits length k into the fewest blocks of at most max and
// returns the (equalised, rounded up to a multiple of 8) block length.
func splitLen(k, max int) int {
	blocks := (k + max - 1) / max
	return min(k, roundUp((k+blocks-1)/blocks, 8))
}

func roundUp(v, to int) int { return (v + to - 1) / to * to }
