package attention

import "math"

// MergeLSE folds a second partial attention result into a first, in place:
// both cover the same rows × dim queries but disjoint key sets, each given
// as its normalised output and the log-sum-exp of its scaled scores.
// Afterwards out and lse describe attention over the union of the key sets.
//
// The merge subtracts the larger LSE before exponentiating, so it is exact
// however far apart the two are; a row whose LSE is −Inf (no keys) simply
// takes the other side.
func MergeLSE(out, lse, out2, lse2 []float32, rows, dim int) {
	for i := 0; i < rows; i++ {
		a, b := float64(lse[i]), float64(lse2[i])
		m := math.Max(a, b)
		if math.IsInf(m, -1) {
			continue
		}
		wa, wb := math.Exp(a-m), math.Exp(b-m)
		s := wa + wb
		ca, cb := float32(wa/s), float32(wb/s)
		o := out[i*dim:][:dim]
		o2 := out2[i*dim:][:dim]
		for c := range o {
			o[c] = ca*o[c] + cb*o2[c]
		}
		lse[i] = float32(m + math.Log(s))
	}
}
