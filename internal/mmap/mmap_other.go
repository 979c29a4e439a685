//go:build !unix

package mmap

import "os"

// Map reads the file at p into memory on systems without mmap.
func Map(p string) ([]byte, func() error, error) {
	data, err := os.ReadFile(p)
	return data, func() error { return nil }, err
}
