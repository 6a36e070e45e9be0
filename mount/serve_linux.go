//go:build linux

package mount

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/tarx-dev/tarx/index"
	"golang.org/x/sys/unix"
)

// server is the state shared by the nodes of one mount.
type server struct {
	a        *index.Archive
	listings listings // recent listings, for the lookups that follow
	opts     Options
	store    *store           // reads of contiguous members
	pool     *pool            // reads of sparse members
	links    map[int64]uint32 // hard links to each member, by Seq
	failed   sync.Map         // Seqs of members whose reads failed (logged)
	ctx      context.Context  // cancelled when unmounting
	// noOpen is set when the kernel opens files without asking
	// (FUSE_NO_OPEN_SUPPORT): Open then answers ENOSYS.
	noOpen atomic.Bool
}

// nlink returns the link count of member m.
func (s *server) nlink(m *index.Member) uint32 {
	if m.Header.Typeflag == tar.TypeDir {
		return 1 // unknown subdirectory count, as btrfs says
	}
	return 1 + s.links[m.Seq]
}

// A Server is a mounted archive being served.
type Server struct {
	fs     *fuse.Server
	dir    string
	cancel context.CancelFunc
	s      *server
	done   chan struct{}

	mu      sync.Mutex
	unmount error
	closed  bool
}

// Serve mounts the archive a read-only at dir and serves it in the
// background. It returns once the mount is ready. The mount ends when
// ctx is done, when Unmount is called, or when it is unmounted from
// outside (umount, fusermount3 -u); Wait waits for that. a must stay open
// until then.
func Serve(ctx context.Context, a *index.Archive, dir string, opts Options) (*Server, error) {
	if err := Usable(); err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &server{a: a, opts: opts, ctx: sctx}
	if s.opts.Decoders <= 0 {
		s.opts.Decoders = DefaultDecoders
	}
	if s.opts.CacheSize <= 0 {
		s.opts.CacheSize = DefaultCacheSize
	}
	store, err := newStore(sctx, a, s.opts.Decoders, s.opts.CacheSize)
	if err != nil {
		cancel()
		return nil, err
	}
	s.store = store
	s.pool = newPool(a, s.opts.Decoders)
	stop := func() {
		cancel()
		s.store.close()
		s.pool.close()
	}
	if err := s.countLinks(); err != nil {
		stop()
		return nil, err
	}
	if n := a.Info().UnsafeNames; n > 0 {
		s.opts.log(fmt.Sprintf("%s: %d members with unsafe names (\"..\") left out, as extraction refuses them", a.Info().Archive, n))
	}
	_, rootRef, err := s.entry(".")
	if err != nil {
		stop()
		return nil, err
	}
	root := &node{s: s, path: ".", ref: rootRef}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	name := opts.FSName
	if name == "" {
		name = a.Info().Archive
	}
	mo := fuse.MountOptions{
		AllowOther:   opts.AllowOther,
		FsName:       name,
		Name:         "tarx",
		Options:      append([]string{"default_permissions"}, opts.MountOptions...),
		MaxReadAhead: maxRead,
		MaxWrite:     maxRead, // lets the kernel send 1 MiB reads
		Debug:        opts.Debug,
		// The kernel asks for entries with their attributes
		// (READDIRPLUS) in the first reply of a listing, and later ones
		// only when the entries it listed were looked up (ls -l, diff
		// -r); dirHandle.Lookup answers with attributes for small
		// directories only (see plusEntries).
		ExtraCapabilities: fuse.CAP_READDIRPLUS_AUTO,
	}
	if os.Geteuid() == 0 {
		mo.DirectMount = true
		mo.DirectMountFlags = syscall.MS_RDONLY | syscall.MS_NOSUID | syscall.MS_NODEV
	} else {
		mo.Options = append(mo.Options, "ro")
	}
	srv, err := fs.Mount(dir, root, &fs.Options{
		MountOptions:    mo,
		EntryTimeout:    &timeout,
		AttrTimeout:     &timeout,
		NegativeTimeout: &timeout,
		RootStableAttr:  &fs.StableAttr{Ino: rootIno},
		NullPermissions: true,
		UID:             0,
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("%w: mount %s: %w", ErrNoFUSE, dir, err)
	}
	s.noOpen.Store(srv.KernelSettings().Flags64()&fuse.CAP_NO_OPEN_SUPPORT != 0)
	if os.Geteuid() == 0 {
		if err := setReadAhead(dir, maxRead); err != nil {
			s.opts.log(fmt.Sprintf("%s: kernel read-ahead left as it is: %v", dir, err))
		}
	}
	S := &Server{fs: srv, dir: dir, cancel: cancel, s: s, done: make(chan struct{})}
	go func() {
		srv.Wait()
		stop()
		close(S.done)
	}()
	go func() {
		select {
		case <-sctx.Done():
			S.Unmount()
		case <-S.done:
		}
	}()
	return S, nil
}

// maxRead is the largest read the kernel sends, and how far it reads
// ahead of a sequential reader.
const maxRead = 1 << 20

// setReadAhead sets how far the kernel reads ahead of a sequential
// reader of the mount at dir, in bytes. The kernel starts a FUSE mount at
// its default of 128 KiB and lets the file system lower it but not raise
// it, so that a sequential reader of a big file costs a READ, with its
// round trip, every 128 KiB; raising it to maxRead (root only: the
// setting is in sysfs, on the mount's own backing device) lets the
// kernel ask for 1 MiB at a time, 8 times fewer requests.
func setReadAhead(dir string, bytes int) error {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return err
	}
	p := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev))
	return os.WriteFile(p, []byte(fmt.Sprint(bytes>>10)), 0)
}

// countLinks counts the hard links to each member, once: time and memory
// grow with the hard links, not with the members.
func (s *server) countLinks() error {
	s.links = map[int64]uint32{}
	return s.a.HardLinks(func(m *index.Member) error {
		if m.Superseded {
			return nil
		}
		t, err := s.linkTarget(m)
		if err != nil {
			return nil // a dangling link is not shown
		}
		if t.Header.Typeflag != tar.TypeDir {
			s.links[t.Seq]++
		}
		return nil
	})
}

// Dir returns the mount point.
func (S *Server) Dir() string { return S.dir }

// Wait waits until the file system is unmounted.
func (S *Server) Wait() { <-S.done }

// Unmount unmounts the file system and waits until serving has stopped.
// Reads in progress fail with EIO. If files are still open, the mount is
// detached lazily (the kernel keeps serving them from the open files
// until they are closed; Wait returns then).
func (S *Server) Unmount() error {
	S.mu.Lock()
	defer S.mu.Unlock()
	if S.closed {
		return S.unmount
	}
	S.closed = true
	S.cancel()
	err := S.fs.Unmount()
	if err != nil {
		// Busy: detach it, and let the open files drain.
		err = Unmount(S.dir, true)
	}
	S.unmount = err
	return err
}

// Usable reports whether FUSE mounts can be made here: /dev/fuse exists
// and, for a user other than root, fusermount3 (or fusermount) is
// installed and /dev/fuse is readable and writable. The error wraps
// ErrNoFUSE and says what is missing.
func Usable() error {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return fmt.Errorf("%w: no /dev/fuse (load the fuse module, or give the container --device /dev/fuse)", ErrNoFUSE)
	}
	if os.Geteuid() == 0 {
		return nil
	}
	if _, err := fusermount(); err != nil {
		return fmt.Errorf("%w: no fusermount3 (install Debian's fuse3 package)", ErrNoFUSE)
	}
	// fusermount3 opens /dev/fuse as the calling user.
	if err := syscall.Access("/dev/fuse", 6); err != nil {
		return fmt.Errorf("%w: not permitted to use /dev/fuse (%v)", ErrNoFUSE, err)
	}
	return nil
}

func fusermount() (string, error) {
	p, err := exec.LookPath("fusermount3")
	if err != nil {
		p, err = exec.LookPath("fusermount")
	}
	return p, err
}

// Unmount unmounts the FUSE file system at dir: directly as root, through
// fusermount3 -u otherwise. With lazy, a busy mount is detached and goes
// away once its files are closed.
func Unmount(dir string, lazy bool) error {
	if os.Geteuid() == 0 {
		flags := 0
		if lazy {
			flags = syscall.MNT_DETACH
		}
		if err := syscall.Unmount(dir, flags); errors.Is(err, syscall.EINVAL) {
			return fmt.Errorf("mount: %s: not a mount point", dir)
		} else if err != nil {
			return fmt.Errorf("mount: unmount %s: %w", dir, err)
		}
		return nil
	}
	bin, err := fusermount()
	if err != nil {
		return fmt.Errorf("%w: no fusermount3 to unmount %s", ErrNoFUSE, dir)
	}
	args := []string{"-u"}
	if lazy {
		args = append(args, "-z")
	}
	out, err := exec.Command(bin, append(args, dir)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mount: unmount %s: %s", dir, bytesTrim(out, err))
	}
	return nil
}

func bytesTrim(out []byte, err error) string {
	for len(out) > 0 && (out[len(out)-1] == '\n' || out[len(out)-1] == ' ') {
		out = out[:len(out)-1]
	}
	if len(out) == 0 {
		return err.Error()
	}
	return string(out)
}

// Mounted reports whether dir (an absolute, clean path) is a mount point,
// from /proc/self/mountinfo.
func Mounted(dir string) (bool, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false, fmt.Errorf("mount: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		// The fifth field is the mount point, with spaces as \040.
		if f := strings.Fields(line); len(f) > 4 && strings.ReplaceAll(f[4], `\040`, " ") == dir {
			return true, nil
		}
	}
	return false, nil
}
