package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/match"
	"github.com/tarx-dev/tarx/internal/tarfmt"
	"github.com/urfave/cli/v2"
)

func catCommand() *cli.Command {
	return &cli.Command{
		Name:        "cat",
		Usage:       "write one member's contents to standard output",
		ArgsUsage:   "ARCHIVE NAME",
		Description: "Same as get -O with one name.\n\nExample:\n   tarx cat big.tar.gz etc/hosts",
		Action:      action(catOptionsFrom, runCat),
	}
}

// catOptions are the options of tarx cat.
type catOptions struct {
	commonOptions
	name string // the member
}

func catOptionsFrom(c *cli.Context) (catOptions, error) {
	common, err := commonOptionsFrom(c, 2, "ARCHIVE and NAME")
	if err != nil {
		return catOptions{}, err
	}
	if c.NArg() > 2 {
		return catOptions{}, usagef("cat: one NAME only (use get -O for several)")
	}
	name := c.Args().Get(1)
	if err := checkPatterns([]string{name}); err != nil {
		return catOptions{}, err
	}
	return catOptions{commonOptions: common, name: name}, nil
}

// runCat writes the member's contents to standard output.
func runCat(ctx context.Context, o catOptions) error {
	return writeMembers(ctx, o.commonOptions, []string{o.name}, true)
}

// checkPatterns returns a usage error if one of patterns is not a valid
// pattern.
func checkPatterns(patterns []string) error {
	if _, err := match.New(patterns); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// writeMembers writes the contents of the members selected by patterns
// to standard output in archive order, as tar -xO does. A hard link
// writes nothing, as with tar -xO, unless followLinks (tarx cat of one
// member): then it yields its target's contents.
func writeMembers(ctx context.Context, o commonOptions, patterns []string, followLinks bool) error {
	opts := o.openOptions()
	opts.Prefetch = func(a *index.Archive) {
		// The first member with contents: its bytes come with the
		// archive's identity. The rest are announced as they are read.
		a.Select(patterns, func(m *index.Member) error {
			if !tarfmt.Regular(m.Header.Typeflag) || m.Header.Size == 0 {
				return nil
			}
			a.HintRange(m.HeaderOffset, m.DataEnd)
			return errPrefetched
		})
	}
	a, err := o.openWith(ctx, opts, index.Open)
	if err != nil {
		return err
	}
	defer a.Close()
	var picked []*index.Member
	unmatched, err := a.Select(patterns, func(m *index.Member) error {
		picked = append(picked, m)
		return nil
	})
	if err != nil {
		return o.errorf(err)
	}
	// A failing member up to verifyFirst bytes wrote nothing: what is
	// buffered is verified and flushed on every return.
	w := o.bufferedStdout()
	defer w.Flush()
	mr := a.NewMemberReader()
	defer mr.Close()
	for _, m := range picked {
		if m.Header.Typeflag == tar.TypeLink {
			if !followLinks {
				continue
			}
			if m, err = linkTarget(a, m); err != nil {
				return o.errorf(err)
			}
			// The target lies before the stream position: a fresh reader.
			if err := copyMember(a.NewMemberReader(), m, w, true, o.warn); err != nil {
				return o.errorf(err)
			}
			continue
		}
		if err := copyMember(mr, m, w, false, o.warn); err != nil {
			return o.errorf(err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return o.notFound(unmatched)
}

// errPrefetched ends the selection of writeMembers' Prefetch.
var errPrefetched = errors.New("prefetched")

// verifyFirst is the member size up to which contents are read and
// checked whole before any byte is written, so that a member failing its
// checksum writes nothing. Larger members stream (memory stays bounded)
// and a mismatch is reported at their end.
const verifyFirst = 16 << 20

// copyMember copies the contents of a member extracted as a regular file
// to w, with GNU tar's rules: unknown types are regular files (with its
// notice to warn), continued files fail.
func copyMember(mr *index.MemberReader, m *index.Member, w io.Writer, closeAfter bool, warn func(string)) error {
	switch t := m.Header.Typeflag; {
	case t == tarfmt.TypeMultiVolume:
		return fmt.Errorf("%s: %s", m.Header.Name, tarfmt.MultiVolumeError)
	case !tarfmt.Regular(t):
		return nil
	case !tarfmt.Known(t):
		warn(tarfmt.UnknownNotice(m.Header.Name, t))
	}
	if closeAfter {
		defer mr.Close()
	}
	_, r, err := mr.Open(m)
	if err != nil {
		return err
	}
	if m.Header.Size <= verifyFirst {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

// linkTarget follows a hard link to the member holding the data.
func linkTarget(a *index.Archive, m *index.Member) (*index.Member, error) {
	for range 16 {
		if m.Header.Typeflag != tar.TypeLink {
			return m, nil
		}
		t, err := a.Lookup(m.Header.Linkname)
		if err != nil {
			return nil, fmt.Errorf("%s: hard link to %s: %w", m.Header.Name, m.Header.Linkname, err)
		}
		m = t
	}
	return nil, fmt.Errorf("%s: too many hard links", m.Header.Name)
}
