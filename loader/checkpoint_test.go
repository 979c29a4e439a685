package loader

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// tinyConfig is a valid config.json for the tiny test checkpoints.
var tinyConfig = []byte(`{"model_type": "llama", "vocab_size": 8, "hidden_size": 4, "intermediate_size": 8,
 "num_hidden_layers": 1, "num_attention_heads": 2, "dtype": "float32"}`)

// tinyFiles is a single-file checkpoint folder.
func tinyFiles(t *testing.T) map[string][]byte {
	return map[string][]byte{
		"config.json":            tinyConfig,
		"generation_config.json": []byte(`{"temperature": 0.7, "eos_token_id": [1, 2]}`),
		"model.safetensors":      buildSafetensors(t, nil, f32("embed", 8, 4), f32("norm", 4), f32("extra", 2)),
	}
}

// shardedFiles is a two-shard checkpoint folder with its index.
func shardedFiles(t *testing.T) map[string][]byte {
	return map[string][]byte{
		"config.json":                      tinyConfig,
		"model-00001-of-00002.safetensors": buildSafetensors(t, nil, f32("embed", 8, 4)),
		"model-00002-of-00002.safetensors": buildSafetensors(t, nil, f32("norm", 4), f32("extra", 2)),
		"model.safetensors.index.json": []byte(`{"metadata": {"total_size": 152}, "weight_map": {
			"embed": "model-00001-of-00002.safetensors",
			"norm": "model-00002-of-00002.safetensors",
			"extra": "model-00002-of-00002.safetensors"}}`),
	}
}

// checkTiny exercises a checkpoint holding embed [8 4], norm [4], extra [2].
func checkTiny(t *testing.T, c *Checkpoint, wantPath string) {
	t.Helper()
	if c.Config.ModelType != "llama" || c.Config.Hidden != 4 {
		t.Errorf("config %+v", *c.Config)
	}
	e, err := c.Tensor("embed", 8, 4)
	if err != nil {
		t.Fatal(err)
	}
	if v := e.Float32s(); len(v) != 32 || v[31] != 31 {
		t.Errorf("embed values %v", v)
	}
	_, err = c.Tensor("norm", 5)
	if err == nil || !strings.Contains(err.Error(), `tensor "norm": shape [4], want [5]`) || !strings.Contains(err.Error(), wantPath) {
		t.Errorf("shape mismatch error %v, want it to name %s", err, wantPath)
	}
	if !reflect.DeepEqual(c.Unused(), []string{"extra", "norm"}) {
		t.Errorf("Unused = %v, want [extra norm]", c.Unused())
	}
	if _, err := c.Tensor("norm"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Unused(), []string{"extra"}) {
		t.Errorf("Unused = %v, want [extra]", c.Unused())
	}
	if _, err := c.Tensor("lm_head", 8, 4); err == nil || !strings.Contains(err.Error(), `tensor "lm_head": not found`) {
		t.Errorf("missing tensor error %v", err)
	}
	if !c.Has("extra") || c.Has("lm_head") {
		t.Error("Has is wrong")
	}
	if n := len(c.Tensors()); n != 3 || !reflect.DeepEqual(c.Unused(), []string{"extra"}) {
		t.Errorf("Tensors gave %d tensors or marked them used", n)
	}
	if _, err := fs.ReadFile(c.FS, "config.json"); err != nil {
		t.Errorf("FS cannot read the folder: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.Tensor("embed"); err == nil {
		t.Error("Tensor after Close did not fail")
	}
}

func TestOpenSingleFile(t *testing.T) {
	dir := writeFiles(t, tinyFiles(t))
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if g := c.Generation; g == nil || *g.Temperature != 0.7 || !reflect.DeepEqual(g.EOS, []int{1, 2}) {
		t.Errorf("generation config %+v", g)
	}
	checkTiny(t, c, filepath.Join(dir, "model.safetensors"))
}

func TestOpenSharded(t *testing.T) {
	dir := writeFiles(t, shardedFiles(t))
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Generation != nil {
		t.Errorf("generation config without the file: %+v", c.Generation)
	}
	checkTiny(t, c, filepath.Join(dir, "model-00002-of-00002.safetensors"))
}

func TestOpenFS(t *testing.T) {
	fsys := fstest.MapFS{}
	for name, data := range shardedFiles(t) {
		fsys["models/tiny/"+name] = &fstest.MapFile{Data: data}
	}
	c, err := OpenFS(fsys, "models/tiny")
	if err != nil {
		t.Fatal(err)
	}
	checkTiny(t, c, "models/tiny/model-00002-of-00002.safetensors")
	if _, err := OpenFS(fsys, "models/none"); err == nil || !strings.Contains(err.Error(), "no such model folder") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := OpenFS(fsys, "models/tiny/config.json"); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("file as folder: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, files map[string][]byte)
		want   string
	}{
		{"no config", func(_ *testing.T, f map[string][]byte) { delete(f, "config.json") }, "no config.json"},
		{"bad config", func(_ *testing.T, f map[string][]byte) { f["config.json"] = []byte(`{"model_type": "t5"}`) },
			`config.json: config: model_type "t5" is not supported`},
		{"bad generation config", func(_ *testing.T, f map[string][]byte) { f["generation_config.json"] = []byte(`{"top_k": "x"}`) },
			`generation_config.json: generation config: field "top_k"`},
		{"no weights", func(_ *testing.T, f map[string][]byte) { delete(f, "model.safetensors") }, "no model.safetensors or model.safetensors.index.json"},
		{"pytorch only", func(_ *testing.T, f map[string][]byte) {
			f["pytorch_model.bin"] = f["model.safetensors"]
			delete(f, "model.safetensors")
		}, "only pytorch_model.bin found"},
		{"truncated weights", func(_ *testing.T, f map[string][]byte) {
			f["model.safetensors"] = f["model.safetensors"][:len(f["model.safetensors"])-3]
		}, "model.safetensors: tensor"},
		{"empty weights", func(_ *testing.T, f map[string][]byte) { f["model.safetensors"] = nil }, "model.safetensors: file is 0 bytes"},
		{"weights is a folder", func(_ *testing.T, f map[string][]byte) {
			delete(f, "model.safetensors")
			f["model.safetensors/x"] = nil
		}, "model.safetensors: not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := tinyFiles(t)
			tt.change(t, files)
			_, err := Open(writeFiles(t, files))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "loader: ") {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestOpenShardErrors(t *testing.T) {
	const index = "model.safetensors.index.json"
	tests := []struct {
		name   string
		change func(t *testing.T, f map[string][]byte)
		want   string
	}{
		{"missing shard", func(_ *testing.T, f map[string][]byte) { delete(f, "model-00002-of-00002.safetensors") },
			`model.safetensors.index.json: shard "model-00002-of-00002.safetensors" is missing`},
		{"wrong shard", func(_ *testing.T, f map[string][]byte) {
			f[index] = []byte(`{"weight_map": {"embed": "model-00002-of-00002.safetensors", "norm": "model-00002-of-00002.safetensors"}}`)
		}, `tensor "embed": listed in shard "model-00002-of-00002.safetensors", which does not hold it`},
		{"duplicate tensor", func(t *testing.T, f map[string][]byte) {
			f["model-00002-of-00002.safetensors"] = buildSafetensors(t, nil, f32("embed", 8, 4))
			f[index] = []byte(`{"weight_map": {"embed": "model-00001-of-00002.safetensors", "x": "model-00002-of-00002.safetensors"}}`)
		}, `tensor "embed": also in`},
		{"escaping shard", func(_ *testing.T, f map[string][]byte) {
			f[index] = []byte(`{"weight_map": {"embed": "../model.safetensors"}}`)
		},
			`shard name "../model.safetensors" is not a file inside the model folder`},
		{"no weight_map", func(_ *testing.T, f map[string][]byte) { f[index] = []byte(`{"metadata": {}}`) }, "index.json: no weight_map"},
		{"empty weight_map", func(_ *testing.T, f map[string][]byte) { f[index] = []byte(`{"weight_map": {}}`) }, "weight_map is empty"},
		{"weight_map type", func(_ *testing.T, f map[string][]byte) { f[index] = []byte(`{"weight_map": {"a": 1}}`) }, "weight_map must map tensor names to file names"},
		{"bad index json", func(_ *testing.T, f map[string][]byte) { f[index] = []byte(`{`) }, "index.json: invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := shardedFiles(t)
			tt.change(t, files)
			_, err := Open(writeFiles(t, files))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestOpenPaths(t *testing.T) {
	dir := writeFiles(t, tinyFiles(t))
	if _, err := Open(""); err == nil || !strings.Contains(err.Error(), "no model folder given") {
		t.Errorf("empty path: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "no such model folder") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "config.json")); err == nil || !strings.Contains(err.Error(), "is a file, not a model folder") {
		t.Errorf("file as folder: %v", err)
	}
}

// sharedDir returns the project's ../shared folder, skipping the test
// when it is absent (a fresh clone has none).
func sharedDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			s := filepath.Join(d, "..", "shared")
			if _, err := os.Stat(s); err != nil {
				t.Skipf("no shared folder at %s", s)
			}
			return s
		}
		if filepath.Dir(d) == d {
			t.Skip("no module root found")
		}
	}
}

// TestGutenbergModel opens the real sharded bf16 model with a
// transformers-5 config and checks it against its index's metadata.
func TestGutenbergModel(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "models", "gutenberg-llama-19m")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("model absent: %v", err)
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := c.Config
	if cfg.ModelType != "llama" || cfg.Hidden != 256 || cfg.Layers != 8 || cfg.Heads != 4 || cfg.KVHeads != 2 || cfg.HeadDim != 64 ||
		cfg.Intermediate != 768 || cfg.RopeTheta != 500000 || !cfg.TieEmbeddings || cfg.VocabSize != 50257 || cfg.DType != "bfloat16" {
		t.Errorf("config %+v", *cfg)
	}
	var meta struct {
		Metadata struct {
			TotalParameters int `json:"total_parameters"`
			TotalSize       int `json:"total_size"`
		} `json:"metadata"`
	}
	data, err := os.ReadFile(filepath.Join(dir, indexFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	params, size := 0, 0
	for _, tn := range c.Tensors() {
		params += tn.Elements()
		size += len(tn.Data)
		if tn.DType.String() != "BF16" {
			t.Errorf("%s is %s, want BF16", tn.Name, tn.DType)
		}
	}
	if params != meta.Metadata.TotalParameters || size != meta.Metadata.TotalSize {
		t.Errorf("%d parameters in %d bytes, index says %d in %d", params, size, meta.Metadata.TotalParameters, meta.Metadata.TotalSize)
	}
	if _, err := c.Tensor("model.embed_tokens.weight", 50257, 256); err != nil {
		t.Error(err)
	}
}

// TestFixtureModels opens every model folder under the repository's
// testdata/models (fixtures written by real transformers), when present.
func TestFixtureModels(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "models", "*", "config.json"))
	if len(dirs) == 0 {
		t.Skip("no fixtures in ../testdata/models")
	}
	for _, cfgPath := range dirs {
		dir := filepath.Dir(cfgPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if len(c.Tensors()) == 0 {
				t.Error("no tensors")
			}
		})
	}
}
