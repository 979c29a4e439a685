// Package mmap maps files read-only into memory (model weights are read in
// place, not copied); on systems without mmap it reads them instead.
package mmap
