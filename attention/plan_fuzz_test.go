package attention

import "testing"

// FuzzPlanFlags feeds arbitrary layer specs and settings to PlanSpec.Build:
// it must return a plan with a kernel for every layer or an error, never
// panic, and never build a spec that Validate refuses.
func FuzzPlanFlags(f *testing.F) {
	f.Add("flash", 0, "last", "", 8)
	f.Add("flash", 8, "last", "", 8)
	f.Add("exact", 2, "even", "0-3:flash,4-7:hyper", 8)
	f.Add("hyper", 0, "odd", "5:exact", 6)
	f.Add("flash", 3, "first", "0-:hyper,,", 4)
	f.Add("flash", -1, "middle", "9-2:flash", 0)
	f.Add("flash", 1, "last", "0-99999999999999999999:hyper", 8)
	f.Fuzz(func(t *testing.T, attn string, hyperLayers int, pattern, spec string, layers int) {
		if layers > 4096 {
			layers %= 4096
		}
		ps := DefaultPlanSpec()
		ps.Attn, ps.HyperLayers, ps.Pattern, ps.LayerAttn = attn, hyperLayers, pattern, spec
		plan, err := ps.Build(layers, 1)
		if err != nil {
			return
		}
		if ps.Validate() != nil {
			t.Fatalf("Build accepted a spec Validate refuses: %+v", ps)
		}
		if plan.Layers() != layers {
			t.Fatalf("plan has %d layers, want %d", plan.Layers(), layers)
		}
		for i := 0; i < layers; i++ {
			if plan.Kernel(i) == nil {
				t.Fatalf("layer %d has no kernel", i)
			}
		}
	})
}
