//go:build !linux

package mount

import (
	"context"

	"github.com/tarx-dev/tarx/index"
)

// A Server is a mounted archive being served.
type Server struct{}

// Serve mounts the archive at dir; on this system it fails with
// ErrUnsupported.
func Serve(ctx context.Context, a *index.Archive, dir string, opts Options) (*Server, error) {
	return nil, ErrUnsupported
}

// Dir returns the mount point.
func (S *Server) Dir() string { return "" }

// Wait waits until the file system is unmounted.
func (S *Server) Wait() {}

// Unmount unmounts the file system.
func (S *Server) Unmount() error { return ErrUnsupported }

// Usable reports whether FUSE mounts can be made here: never on this system.
func Usable() error { return ErrUnsupported }

// Unmount unmounts the FUSE file system at dir; on this system it fails
// with ErrUnsupported.
func Unmount(dir string, lazy bool) error { return ErrUnsupported }

// Mounted reports whether dir is a mount point; on this system it fails
// with ErrUnsupported.
func Mounted(dir string) (bool, error) { return false, ErrUnsupported }
