// Package readlimit reads the files and streams a user names with a stated
// bound, so that a huge file, a FIFO, a character device such as /dev/zero
// or an endless stdin ends with an error naming the input and the limit
// instead of exhausting memory: at most limit+1 bytes are ever read.
package readlimit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// The limits of gollm's inputs, one per kind (docs/bad-input.md lists them).
const (
	// Config bounds a JSON settings file: config.json,
	// generation_config.json, model.safetensors.index.json,
	// tokenizer_config.json, an --attn-plan file.
	Config = 16 << 20
	// Tokenizer bounds a tokenizer file: tokenizer.json, tokenizer.model,
	// a llama2.c tokenizer .bin.
	Tokenizer = 256 << 20
	// Text bounds a text a command reads whole: a perplexity or eval
	// --file/--data file (each, and a JSONL file in all), tokenize's
	// input, bench serve --text, run --prompt-file.
	Text = 1 << 30
	// Weights bounds a weights file read into memory whole (a llama2.c
	// checkpoint; safetensors and GGUF files are mapped, not read).
	Weights = 64 << 30
)

// ErrTooLarge is wrapped by the error of an input longer than its limit.
var ErrTooLarge = errors.New("input exceeds its limit")

// tooLarge is the error for input name over limit bytes.
func tooLarge(name string, limit int64) error {
	return fmt.Errorf("%s: more than %s, the limit for it: %w", name, Format(limit), ErrTooLarge)
}

// Format writes a byte count as the largest binary unit that divides it
// ("64 MiB"), else in bytes.
func Format(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadAll reads r (named name in errors) to its end, failing once it has
// given more than limit bytes.
func ReadAll(r io.Reader, limit int64, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(name, limit)
	}
	return b, nil
}

// ReadFile reads the file at path, at most limit bytes: a regular file
// larger than that is refused by its size before any read.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f, path, limit)
}

// ReadFS is ReadFile for the file name of fsys, called shown in errors
// about its size.
func ReadFS(fsys fs.FS, name, shown string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f, shown, limit)
}

func readOpen(f fs.File, name string, limit int64) ([]byte, error) {
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than %s, the limit for it: %w", name, st.Size(), Format(limit), ErrTooLarge)
	}
	return ReadAll(f, limit, name)
}

// Reader is r that fails with an error naming name and the limit once more
// than limit bytes have been read through it (for inputs read in pieces,
// such as JSONL).
func Reader(r io.Reader, limit int64, name string) io.Reader {
	return &reader{r: r, left: limit, limit: limit, name: name}
}

type reader struct {
	r           io.Reader
	left, limit int64
	name        string
}

func (l *reader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, tooLarge(l.name, l.limit)
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n - 1, tooLarge(l.name, l.limit) // the byte past the limit is not given
	}
	return n, err
}
