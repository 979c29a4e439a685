//go:build unix

package mmap

import (
	"fmt"
	"math"
	"os"
	"syscall"
)

// Map maps the file at p read-only and returns its bytes and a function
// that unmaps them. The size is taken before mapping and every later access
// is checked against it, so a truncated file gives an error instead of
// SIGBUS (unless it shrinks while mapped).
func Map(p string) ([]byte, func() error, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("not a regular file")
	}
	if size == 0 {
		return nil, func() error { return nil }, nil
	}
	if size > math.MaxInt {
		return nil, nil, fmt.Errorf("file of %d bytes is too large to map", size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap: %w", err)
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}
