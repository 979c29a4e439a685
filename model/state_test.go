package model

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// TestCancelledPassLeavesCache checks that a forward pass stopped by its
// context after the first layer leaves the cache as before it: running the
// same tokens again gives the hidden states of an uninterrupted run (of
// the same two passes).
func TestCancelledPassLeavesCache(t *testing.T) {
	dir := fixtureDirs(t)[0]
	t.Run(filepath.Base(dir), func(t *testing.T) {
		m, ref := loadFixture(t, dir)
		ids := ref.InputIDs[:8]
		st := m.NewState(len(ids))
		if _, err := m.Forward(st, ids[:3], nil); err != nil {
			t.Fatal(err)
		}
		want, err := m.Forward(st, ids[3:], nil)
		if err != nil {
			t.Fatal(err)
		}
		st.Reset()
		if _, err := m.Forward(st, ids[:3], nil); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		st.Ctx, st.OnLayer = ctx, func(int, int) { cancel() }
		if _, err := m.Forward(st, ids[3:], nil); err == nil || st.Len() != 3 {
			t.Fatalf("cancelled pass: error %v, Len %d; want an error and 3", err, st.Len())
		}
		st.Ctx, st.OnLayer = nil, nil
		got, err := m.Forward(st, ids[3:], nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Error("the pass after a cancelled one differs from an uninterrupted run")
		}
	})
}
