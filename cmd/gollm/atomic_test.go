package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFileAtomicMode checks that a new file gets 0644 and that an
// existing one keeps its permissions when replaced.
func TestWriteFileAtomicMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := writeFileAtomic(path, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", st.Mode().Perm())
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, []byte("b")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if b, _ := os.ReadFile(path); st.Mode().Perm() != 0o600 || string(b) != "b" {
		t.Errorf("replaced file: mode %v, content %q; want 0600 and \"b\"", st.Mode().Perm(), b)
	}
}
