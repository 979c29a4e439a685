package loader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/gguf"
	"github.com/gollm/gollm/internal/mmap"
	"github.com/gollm/gollm/internal/readlimit"
	"github.com/gollm/gollm/weights"
)

// File names inside an HF model folder.
const (
	configFile     = "config.json"
	generationFile = "generation_config.json"
	weightsFile    = "model.safetensors"
	indexFile      = "model.safetensors.index.json"
)

// Checkpoint is an opened model, an HF folder or a GGUF file: its config
// and its validated tensors, which stay valid until Close.
type Checkpoint struct {
	Dir        string // the folder, or the GGUF file's path
	Config     *Config
	Generation *GenerationConfig // nil when there is no generation_config.json (or for GGUF)
	FS         fs.FS             // the folder, so the tokenizer can be loaded from the same place; nil for GGUF
	GGUF       *gguf.File        // the GGUF file, nil for an HF folder

	tensors map[string]located
	mu      sync.Mutex
	used    map[string]bool
	release []func() error // unmaps the files, once
}

// located is a tensor and the path of the file holding it.
type located struct {
	path string
	t    *weights.Tensor
}

// loadFunc returns the bytes of a file of the folder (a slash-separated
// name) and a function that releases them.
type loadFunc func(name string) ([]byte, func() error, error)

// Open opens the HF model folder dir, or the GGUF file dir (known by its
// magic, whatever its name), memory-mapping its weights read-only (on
// systems without mmap they are read into memory).
func Open(dir string) (*Checkpoint, error) {
	if dir == "" {
		return nil, errors.New("loader: no model folder given")
	}
	if st, err := os.Stat(dir); err == nil && st.Mode().IsRegular() && isGGUF(dir) {
		return openGGUF(dir)
	}
	if err := checkFolder(os.Stat(dir)); err != nil {
		return nil, fmt.Errorf("loader: %s: %w", dir, err)
	}
	load := func(name string) ([]byte, func() error, error) {
		return mmap.Map(filepath.Join(dir, filepath.FromSlash(name)))
	}
	return open(os.DirFS(dir), dir, filepath.Join, load)
}

// OpenFS opens the model folder dir of fsys (for example an embed.FS),
// reading the safetensors files into memory; nothing is written to disk.
func OpenFS(fsys fs.FS, dir string) (*Checkpoint, error) {
	if err := checkFolder(fs.Stat(fsys, dir)); err != nil {
		return nil, fmt.Errorf("loader: %s: %w", dir, err)
	}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("loader: %s: %w", dir, err)
	}
	load := func(name string) ([]byte, func() error, error) {
		data, err := fs.ReadFile(sub, name)
		return data, func() error { return nil }, err
	}
	return open(sub, dir, path.Join, load)
}

// checkFolder turns the result of stat-ing a model folder into the error a
// user should see after the folder's name, or nil.
func checkFolder(st fs.FileInfo, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such model folder")
	case err != nil:
		return err
	case !st.IsDir():
		return errors.New("is a file, not a model folder or a GGUF file (want a folder with config.json and safetensors weights, or a .gguf file)")
	}
	return nil
}

// open reads the configs and weights of the folder fsys, named dir in
// messages; join builds those messages' paths.
func open(fsys fs.FS, dir string, join func(...string) string, load loadFunc) (*Checkpoint, error) {
	c := &Checkpoint{Dir: dir, FS: fsys, tensors: map[string]located{}, used: map[string]bool{}}
	data, err := readlimit.ReadFS(fsys, configFile, join(dir, configFile), readlimit.Config)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("loader: %s: no config.json (not an HF model folder?)", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	if c.Config, err = ParseConfig(data); err != nil {
		return nil, fmt.Errorf("loader: %s: %w", join(dir, configFile), err)
	}
	data, err = readlimit.ReadFS(fsys, generationFile, join(dir, generationFile), readlimit.Config)
	switch {
	case err == nil:
		if c.Generation, err = ParseGenerationConfig(data); err != nil {
			return nil, fmt.Errorf("loader: %s: %w", join(dir, generationFile), err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("loader: %w", err)
	}
	if err := c.loadWeights(fsys, dir, join, load); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// loadWeights maps model.safetensors, or every shard named by
// model.safetensors.index.json, and checks the index against the shards.
func (c *Checkpoint) loadWeights(fsys fs.FS, dir string, join func(...string) string, load loadFunc) error {
	data, err := readlimit.ReadFS(fsys, indexFile, join(dir, indexFile), readlimit.Config)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := fs.Stat(fsys, weightsFile); err != nil {
			return missingWeights(fsys, dir)
		}
		return c.addFile(join(dir, weightsFile), weightsFile, load)
	}
	if err != nil {
		return fmt.Errorf("loader: %w", err)
	}
	indexPath := join(dir, indexFile)
	weightMap, files, err := parseIndex(data)
	if err != nil {
		return fmt.Errorf("loader: %s: %w", indexPath, err)
	}
	for _, f := range files {
		_, err := fs.Stat(fsys, f)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("loader: %s: shard %q is missing", indexPath, f)
		case err != nil:
			return fmt.Errorf("loader: %s: shard %q: %w", indexPath, f, err)
		}
		if err := c.addFile(join(dir, f), f, load); err != nil {
			return err
		}
	}
	for name, f := range weightMap {
		l, ok := c.tensors[name]
		if !ok || l.path != join(dir, f) {
			return fmt.Errorf("loader: %s: tensor %q: listed in shard %q, which does not hold it", indexPath, name, f)
		}
	}
	return nil
}

// missingWeights explains a folder without safetensors weights.
func missingWeights(fsys fs.FS, dir string) error {
	if _, err := fs.Stat(fsys, "pytorch_model.bin"); err == nil {
		return fmt.Errorf("loader: %s: only pytorch_model.bin found; convert it to safetensors", dir)
	}
	return fmt.Errorf("loader: %s: no %s or %s", dir, weightsFile, indexFile)
}

// addFile maps and validates one safetensors file and registers its
// tensors; a tensor name held by two files is an error.
func (c *Checkpoint) addFile(p, name string, load loadFunc) error {
	data, release, err := load(name)
	if err != nil {
		return fmt.Errorf("loader: %s: %w", p, err)
	}
	c.release = append(c.release, release)
	ts, err := ParseSafetensors(data)
	if err != nil {
		return fmt.Errorf("loader: %s: %w", p, err)
	}
	for n, t := range ts {
		if prev, dup := c.tensors[n]; dup {
			return fmt.Errorf("loader: %s: tensor %q: also in %s", p, n, prev.path)
		}
		c.tensors[n] = located{path: p, t: t}
	}
	return nil
}

// Tensor returns the named tensor and marks it as used. When shape is
// given, the tensor's shape must equal it. The tensor's Data stays valid
// until Close.
func (c *Checkpoint) Tensor(name string, shape ...int) (*weights.Tensor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tensors == nil {
		return nil, fmt.Errorf("loader: %s: tensor %q: checkpoint is closed", c.Dir, name)
	}
	l, ok := c.tensors[name]
	if !ok {
		return nil, fmt.Errorf("loader: %s: tensor %q: not found (%d tensors in the checkpoint)", c.Dir, name, len(c.tensors))
	}
	if len(shape) > 0 && !slices.Equal(shape, l.t.Shape) {
		return nil, fmt.Errorf("loader: %s: tensor %q: shape %v, want %v", l.path, name, l.t.Shape, shape)
	}
	c.used[name] = true
	t := *l.t
	t.Shape = slices.Clone(t.Shape)
	return &t, nil
}

// Layout lists the tensors of family fam (the config's) as the
// checkpoint names and stores them: fam.Tensors for an HF folder,
// arch.GGUFTensors for a GGUF file.
func (c *Checkpoint) Layout(fam *arch.Family) []arch.Tensor {
	if c.GGUF != nil {
		return arch.GGUFTensors(fam, c.Config, c.Has)
	}
	return fam.Tensors(c.Config, c.Has)
}

// Has reports whether the checkpoint holds the named tensor.
func (c *Checkpoint) Has(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.tensors[name]
	return ok
}

// Unused returns, sorted, the tensors present but never returned by Tensor.
func (c *Checkpoint) Unused() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for n := range c.tensors {
		if !c.used[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Tensors returns every tensor, sorted by name, without marking any as
// used (for listings such as `gollm info`).
func (c *Checkpoint) Tensors() []*weights.Tensor {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*weights.Tensor, 0, len(c.tensors))
	for _, l := range c.tensors {
		out = append(out, l.t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Close unmaps the weights; tensors obtained before must not be used after.
// Closing twice is harmless.
func (c *Checkpoint) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, r := range c.release {
		errs = append(errs, r())
	}
	c.release, c.tensors = nil, nil
	return errors.Join(errs...)
}
