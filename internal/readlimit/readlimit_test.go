package readlimit

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestLimits reads inputs at and past their limit: at it all bytes come
// back, past it the error names the input and the limit.
func TestLimits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	os.WriteFile(path, []byte("12345678"), 0o644)
	if b, err := ReadFile(path, 8); err != nil || string(b) != "12345678" {
		t.Errorf("at the limit: %q %v", b, err)
	}
	_, err := ReadFile(path, 7)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "7 bytes") {
		t.Errorf("past the limit: %v", err)
	}
	if _, err := ReadFS(os.DirFS(dir), "f.txt", path, 4<<10); err != nil {
		t.Error(err)
	}
	endless := io.MultiReader(strings.NewReader("x"), zeros{})
	if _, err := ReadAll(endless, 1<<20, "stdin"); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "stdin: more than 1 MiB") {
		t.Errorf("endless stream: %v", err)
	}
	sc := bufio.NewScanner(Reader(strings.NewReader("a\nb\ncccc\n"), 5, "x.jsonl"))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 2 || lines[0] != "a" || lines[1] != "b" || !errors.Is(sc.Err(), ErrTooLarge) { // a cut last line may come too
		t.Errorf("Reader: lines %q, err %v", lines, sc.Err())
	}
	if b, err := io.ReadAll(Reader(strings.NewReader("abc"), 3, "x")); err != nil || string(b) != "abc" {
		t.Errorf("Reader at the limit: %q %v", b, err)
	}
}

// TestDevice reads /dev/zero, which never ends, up to the limit.
func TestDevice(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/zero")
	}
	if _, err := ReadFile("/dev/zero", 1<<16); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "/dev/zero: more than 64 KiB") {
		t.Errorf("/dev/zero: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
