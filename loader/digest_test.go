package loader

import (
	"strings"
	"testing"
)

// TestDigest: the digest names the tensors and config, not the files that
// hold them; it changes with a value of a small tensor, a value inside a
// stripe of a large one, a shape or the config.
func TestDigest(t *testing.T) {
	digest := func(files map[string][]byte) string {
		t.Helper()
		c, err := Open(writeFiles(t, files))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		d, err := c.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	big := f32("big", 64, 1024) // 256 KiB: striped
	base := digest(tinyFiles(t))
	if !strings.HasPrefix(base, "sha256:") || len(base) != len("sha256:")+64 {
		t.Fatalf("digest %q", base)
	}
	if sharded := digest(shardedFiles(t)); sharded != base {
		t.Errorf("the same tensors in two files: %s, in one: %s", sharded, base)
	}
	withBig := func(edit func(data []byte)) map[string][]byte {
		b := big
		b.data = append([]byte(nil), big.data...)
		edit(b.data)
		files := tinyFiles(t)
		files["model.safetensors"] = buildSafetensors(t, nil, f32("embed", 8, 4), f32("norm", 4), f32("extra", 2), b)
		return files
	}
	bigBase := digest(withBig(func([]byte) {}))
	small := tinyFiles(t)
	norm := f32("norm", 4)
	norm.data[0] ^= 1
	small["model.safetensors"] = buildSafetensors(t, nil, f32("embed", 8, 4), norm, f32("extra", 2))
	reshaped := tinyFiles(t)
	reshaped["model.safetensors"] = buildSafetensors(t, nil, f32("embed", 8, 4), f32("norm", 4), f32("extra", 1, 2))
	config := tinyFiles(t)
	config["config.json"] = []byte(strings.Replace(string(tinyConfig), `"vocab_size": 8`, `"vocab_size": 8, "rms_norm_eps": 0.001`, 1))
	stripe8 := 8*(len(big.data)-digestStripe)/(digestStripes-1) + 10
	for _, c := range []struct {
		name  string
		files map[string][]byte
		was   string
	}{
		{"a small tensor's value", small, base},
		{"a shape", reshaped, base},
		{"the config", config, base},
		{"a large tensor", withBig(func([]byte) {}), base},
		{"its first byte", withBig(func(d []byte) { d[0] ^= 1 }), bigBase},
		{"its last byte", withBig(func(d []byte) { d[len(d)-1] ^= 1 }), bigBase},
		{"a byte of its 9th stripe", withBig(func(d []byte) { d[stripe8] ^= 1 }), bigBase},
	} {
		if digest(c.files) == c.was {
			t.Errorf("changing %s left the digest %s", c.name, c.was)
		}
	}
	// Between stripes a change goes unseen: the price of reading 64 KiB.
	if d := digest(withBig(func(d []byte) { d[len(d)/2] ^= 1 })); d != bigBase {
		t.Errorf("a byte between stripes changed the digest: the stripes are not where the doc says")
	}
}
