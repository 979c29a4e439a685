package model

import (
	"math"
	"path/filepath"
	"testing"
)

// TestForwardBatchMatchesSingle checks that sequences run together in one
// batched pass — a prefill and two decode steps at different positions —
// give the hidden states each gives alone, and leave each cache as a pass
// of its own does (the next single step agrees too), on every fixture
// family (learned positions, RoPE, q/k norms, parallel blocks).
func TestForwardBatchMatchesSingle(t *testing.T) {
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, ref := loadFixture(t, dir)
			ids := ref.InputIDs
			if len(ids) < 9 {
				t.Skip("fixture too short")
			}
			type part struct{ cached, fresh []int }
			parts := []part{{ids[:3], ids[3:4]}, {nil, ids[:5]}, {ids[4:6], ids[8:9]}}
			alone := make([][]float32, len(parts))
			single := make([]*State, len(parts))
			batched := make([]*State, len(parts))
			var seqs []Seq
			for i, p := range parts {
				for _, st := range []**State{&single[i], &batched[i]} {
					*st = m.NewState(16)
					if len(p.cached) > 0 {
						if _, err := m.Forward(*st, p.cached, nil); err != nil {
							t.Fatal(err)
						}
					}
				}
				h, err := m.Forward(single[i], p.fresh, nil)
				if err != nil {
					t.Fatal(err)
				}
				alone[i] = h
				seqs = append(seqs, Seq{State: batched[i], IDs: p.fresh})
			}
			got, err := m.ForwardBatch(seqs)
			if err != nil {
				t.Fatal(err)
			}
			var want []float32
			for _, h := range alone {
				want = append(want, h...)
			}
			assertClose(t, "batched pass", got, want)
			for i := range parts {
				if single[i].Len() != batched[i].Len() {
					t.Fatalf("sequence %d: Len %d batched, %d alone", i, batched[i].Len(), single[i].Len())
				}
				a, err := m.Forward(single[i], ids[10:11], nil)
				if err != nil {
					t.Fatal(err)
				}
				b, err := m.Forward(batched[i], ids[10:11], nil)
				if err != nil {
					t.Fatal(err)
				}
				assertClose(t, "step after the batched pass", b, a)
			}
		})
	}
}

// assertClose fails when got and want differ by more than 1e-4 of want's
// largest magnitude anywhere (batching changes only the GEMM blocking).
func assertClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale, worst float64
	for i := range want {
		scale = math.Max(scale, math.Abs(float64(want[i])))
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	if worst > 1e-4*scale || math.IsNaN(worst) {
		t.Fatalf("%s: differs by %g (largest value %g)", what, worst, scale)
	}
}

// TestForwardBatchRefusals checks that a batch naming one State twice, or
// one sequence that does not fit, is refused before any cache changes.
func TestForwardBatchRefusals(t *testing.T) {
	m, ref := loadFixture(t, fixtureDirs(t)[0])
	a, b := m.NewState(4), m.NewState(2)
	if _, err := m.ForwardBatch([]Seq{{State: a, IDs: ref.InputIDs[:1]}, {State: a, IDs: ref.InputIDs[:1]}}); err == nil {
		t.Error("a State twice in one batch was accepted")
	}
	if _, err := m.ForwardBatch([]Seq{{State: a, IDs: ref.InputIDs[:1]}, {State: b, IDs: ref.InputIDs[:3]}}); err == nil {
		t.Error("a sequence over its cache was accepted")
	}
	if a.Len() != 0 || b.Len() != 0 {
		t.Errorf("refused batches changed the caches: Len %d and %d", a.Len(), b.Len())
	}
}
