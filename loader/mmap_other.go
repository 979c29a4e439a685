//go:build !unix

package loader

import "os"

// mapFile reads the file at p into memory on systems without mmap.
func mapFile(p string) ([]byte, func() error, error) {
	data, err := os.ReadFile(p)
	return data, func() error { return nil }, err
}
