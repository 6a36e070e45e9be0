package remote

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// openFile opens a local location: ReadAt goes straight to the file.
func openFile(o *Object) (*Object, error) {
	f, err := os.Open(o.loc.Path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("remote: %s: not a regular file", o.loc.Path)
	}
	o.file = f
	o.id = Identity{Name: o.loc.Path, Size: st.Size(), LastModified: st.ModTime()}
	return o, nil
}

// putFile writes r to path through a temporary file and a rename, so a
// reader never sees half of it.
func putFile(path string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("remote: %w", err)
	}
	_, err = io.Copy(tmp, r)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("remote: write %s: %w", path, err)
	}
	return nil
}
