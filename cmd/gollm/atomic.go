package main

import "github.com/gollm/gollm/internal/atomicfile"

// writeFileAtomic writes an output file of a command (--output, --csv,
// --plot, --calibrate) by internal/atomicfile's rules: a temporary file
// beside path renamed over it only on success, an existing file's mode
// kept, a symlink followed, a device such as /dev/stdout written directly.
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data)
}
