package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// leftovers lists the files of dir other than the names given.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if !contains(keep, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMode checks that a new file gets 0644 and a replaced one keeps its
// permissions.
func TestMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := WriteFile(path, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", st.Mode().Perm())
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("b")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o640 || read(t, path) != "b" {
		t.Errorf("replaced file: mode %v, content %q; want 0640 and \"b\"", st.Mode().Perm(), read(t, path))
	}
	if l := leftovers(t, dir, "out.txt"); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

// TestSymlink writes through a link: the target is replaced, the link stays
// a link, also when the target does not exist yet.
func TestSymlink(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	target := filepath.Join(sub, "real.txt")
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink("sub/real.txt", link); err != nil {
		t.Skip(err)
	}
	for _, content := range []string{"new", "again"} {
		if err := WriteFile(link, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("link replaced by a file: %v", err)
		}
		if got := read(t, target); got != content {
			t.Errorf("target holds %q, want %q", got, content)
		}
	}
	if l := leftovers(t, sub, "real.txt"); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

// TestDevice writes to /dev/null directly: it stays a device.
func TestDevice(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/null")
	}
	if err := WriteFile("/dev/null", []byte("x")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat("/dev/null")
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", st.Mode(), err)
	}
}

// TestReadOnly refuses a read-only file and a file in a read-only folder,
// naming the path and leaving the file as it was.
func TestReadOnly(t *testing.T) {
	if runtime.GOOS == "windows" || os.Getuid() == 0 {
		t.Skip("permissions do not bind here")
	}
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro.txt")
	os.WriteFile(ro, []byte("old"), 0o444)
	err := WriteFile(ro, []byte("new"))
	if err == nil || !strings.Contains(err.Error(), ro) {
		t.Errorf("read-only file: %v, want an error naming %s", err, ro)
	}
	if read(t, ro) != "old" {
		t.Error("read-only file changed")
	}
	rodir := filepath.Join(dir, "rodir")
	os.Mkdir(rodir, 0o755)
	inside := filepath.Join(rodir, "f.txt")
	os.WriteFile(inside, []byte("old"), 0o644)
	os.Chmod(rodir, 0o555)
	defer os.Chmod(rodir, 0o755)
	err = WriteFile(inside, []byte("new"))
	if err == nil || !strings.Contains(err.Error(), inside) {
		t.Errorf("read-only folder: %v, want an error naming %s", err, inside)
	}
	if read(t, inside) != "old" {
		t.Error("file in a read-only folder changed")
	}
}

// TestFailureKeepsOriginal fails halfway through a write: the old file is
// untouched and no temporary file is left.
func TestFailureKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.bin")
	os.WriteFile(path, []byte("original"), 0o644)
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		w.Write([]byte(strings.Repeat("x", 3<<20))) // past the buffer: bytes reach the temp file
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want boom naming %s", err, path)
	}
	if read(t, path) != "original" {
		t.Error("original changed")
	}
	if l := leftovers(t, dir, "out.bin"); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
	if err := WriteFile(dir, []byte("x")); err == nil {
		t.Error("writing over a folder succeeded")
	}
}

// TestWriteDir makes a new folder in one rename, moves files into an
// existing one keeping its other files, and leaves nothing on failure.
func TestWriteDir(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "model")
	fill := func(content string) func(string) error {
		return func(tmp string) error {
			return os.WriteFile(filepath.Join(tmp, "config.json"), []byte(content), 0o644)
		}
	}
	boom := errors.New("boom")
	failing := func(tmp string) error {
		os.WriteFile(filepath.Join(tmp, "config.json"), []byte("half"), 0o644)
		return boom
	}
	if err := WriteDir(dir, failing); !errors.Is(err, boom) {
		t.Fatalf("failing fill: %v", err)
	}
	if l := leftovers(t, base); len(l) > 0 {
		t.Fatalf("failed write left %v", l)
	}
	if err := WriteDir(dir, fill("1")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o755 || read(t, filepath.Join(dir, "config.json")) != "1" {
		t.Errorf("new folder: mode %v", st.Mode().Perm())
	}
	os.WriteFile(filepath.Join(dir, "README"), []byte("mine"), 0o644)
	if err := WriteDir(dir, failing); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "config.json")) != "1" {
		t.Error("failed write changed the existing folder")
	}
	if err := WriteDir(dir, fill("2")); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "config.json")) != "2" || read(t, filepath.Join(dir, "README")) != "mine" {
		t.Error("existing folder: file not replaced or other file lost")
	}
	if l := leftovers(t, dir, "config.json", "README"); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}
