// Package atomicfile writes output files and folders so that a failed or
// interrupted write never leaves a half-written one: the data goes to a
// temporary file (or folder) beside the target, which is renamed into place
// only once all of it is written.
//
// The rules, for a target path:
//   - a symlink is followed to its final target, which is replaced (the link
//     stays a link);
//   - an existing regular file keeps its permission bits; a new one gets 0644;
//   - a target that is not a regular file (a character device such as
//     /dev/stdout or /dev/null, a named pipe) is written directly, never
//     replaced;
//   - a target the user may not write (a read-only file, a read-only
//     folder) is an error naming the path, before any data is made;
//   - on any error the existing file is untouched and no temporary file is
//     left behind.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxLinks bounds the symlinks followed from a target (as the kernel's
// ELOOP does).
const maxLinks = 40

// WriteFile writes data to path by the package's rules.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write calls fill with a buffered writer for path and puts what it wrote
// in place by the package's rules once fill returns nil; an error from
// fill leaves the target as it was.
func Write(path string, fill func(io.Writer) error) error {
	if err := write(path, fill); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func write(path string, fill func(io.Writer) error) error {
	target, err := resolve(path)
	if err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	st, err := os.Stat(target)
	switch {
	case err == nil && st.IsDir():
		return errors.New("is a folder")
	case err == nil && !st.Mode().IsRegular(): // a device or pipe: stream into it
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		return closeAfter(f, fill)
	case err == nil:
		mode = st.Mode().Perm()
		f, err := os.OpenFile(target, os.O_WRONLY, 0) // may we write it? (truncates nothing)
		if err != nil {
			return err
		}
		f.Close()
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(mode)
	if err == nil {
		err = closeAfter(f, fill)
	} else {
		f.Close()
	}
	if err == nil {
		err = os.Rename(tmp, target)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// closeAfter runs fill on a buffer over f, flushes it, syncs a regular
// file and closes f, returning the first error.
func closeAfter(f *os.File, fill func(io.Writer) error) error {
	bw := bufio.NewWriterSize(f, 1<<20)
	err := fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if st, serr := f.Stat(); err == nil && serr == nil && st.Mode().IsRegular() {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// resolve follows the symlinks of path's last element to the file they
// name (which need not exist yet).
func resolve(path string) (string, error) {
	for range maxLinks {
		st, err := os.Lstat(path)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", fmt.Errorf("more than %d symlinks", maxLinks)
}

// WriteDir makes the folder dir by calling fill with an empty temporary
// folder: beside a new dir, renamed into place once fill returns nil; inside
// an existing dir (one file system), whose files are then each moved into
// dir, replacing those of the same names (dir's other files stay). An error from fill leaves dir as it was and removes
// the temporary folder.
func WriteDir(dir string, fill func(tmp string) error) error {
	if err := writeDir(dir, fill); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	return nil
}

func writeDir(dir string, fill func(tmp string) error) error {
	dir = filepath.Clean(dir)
	st, err := os.Stat(dir)
	exists := err == nil
	switch {
	case exists && !st.IsDir():
		return errors.New("is a file, not a folder")
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	parent := filepath.Dir(dir)
	if exists {
		parent = dir // the files move within one file system
	} else if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // gone once renamed; else what is left of it
	if err := fill(tmp); err != nil {
		return err
	}
	if !exists {
		if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp made it private
			return err
		}
		return os.Rename(tmp, dir)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
