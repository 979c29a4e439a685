package loader

import "testing"

func TestSummarize(t *testing.T) {
	files := tinyFiles(t)
	files["model.safetensors"] = buildSafetensors(t, nil, f32("embed", 8, 4), tspec{"norm", "BF16", []int{4}, make([]byte, 8)})
	c, err := Open(writeFiles(t, files))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := c.Summarize()
	// tiny config: 1 layer, 2 KV heads of dim 2, context 2048 (llama default).
	if s.Parameters != 36 || s.DTypes["F32"] != 32 || s.DTypes["BF16"] != 4 || s.WeightBytes != 136 || s.Tensors != 2 {
		t.Errorf("counts: %+v", s)
	}
	if s.KVCacheBytesPer1K != 2*1*2*2*4*1024 || s.KVCacheBytesContext != 2*1*2*2*4*2048 || s.ContextLength != 2048 {
		t.Errorf("KV cache: %+v", s)
	}
	if names := s.DTypeNames(); len(names) != 2 || names[0] != "BF16" {
		t.Errorf("DTypeNames = %v", names)
	}
	if len(c.Unused()) != 2 {
		t.Error("Summarize marked tensors as used")
	}
}
