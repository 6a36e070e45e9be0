package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/match"
	"github.com/urfave/cli/v2"
)

func lsCommand() *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "list members, like tar -tzf",
		ArgsUsage: "ARCHIVE [PATTERN...]",
		Description: "Lists the members in archive order, from the index. PATTERNs are globs (** crosses\n" +
			"directories); a directory selects everything under it.\n\n" +
			"Examples:\n   tarx ls big.tar.gz\n   tarx ls big.tar.gz 'src/**/*.go' -l\n   tarx ls big.tar.gz --json",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "long", Aliases: []string{"l"}, Usage: "long format, like tar -tvzf"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON object per member"},
		},
		Action: action(lsOptionsFrom, runLs),
	}
}

// lsOptions are the options of tarx ls.
type lsOptions struct {
	commonOptions
	patterns []string // the members to list (all if none)
	long     bool     // --long
	json     bool     // --json
}

func lsOptionsFrom(c *cli.Context) (lsOptions, error) {
	common, err := commonOptionsFrom(c, 1, "ARCHIVE")
	if err != nil {
		return lsOptions{}, err
	}
	if err := checkPatterns(c.Args().Tail()); err != nil {
		return lsOptions{}, err
	}
	return lsOptions{commonOptions: common, patterns: c.Args().Tail(), long: c.Bool("long"), json: c.Bool("json")}, nil
}

// runLs lists the members selected, in archive order. A build lists
// them as it reads them, so that an archive damaged part way lists what
// comes before the damage, then fails, as tar -t does.
func runLs(ctx context.Context, o lsOptions) error {
	w := o.bufferedStdout()
	defer w.Flush()
	l := newLister()
	enc := json.NewEncoder(w)
	list := func(mem *index.Member) error {
		switch {
		case o.json:
			return enc.Encode(jsonMember(mem))
		case o.long:
			_, err := fmt.Fprintln(w, l.long(&mem.Header))
			return err
		default:
			_, err := fmt.Fprintln(w, l.short(&mem.Header))
			return err
		}
	}
	sel, err := match.New(o.patterns)
	if err != nil {
		return usagef("%v", err)
	}
	opts := o.openOptions()
	streamed := false
	if !o.json { // JSON needs the CRC-32, known after a member
		opts.OnMember = func(mem *index.Member, _ io.Reader) error {
			streamed = true
			if !sel.Match(mem.Header.Name) {
				return nil
			}
			return list(mem)
		}
	}
	a, err := o.openWith(ctx, opts, index.Open)
	if err != nil {
		return err
	}
	defer a.Close()
	unmatched := sel.Unmatched()
	if !streamed {
		// Select walks the directory tree under each pattern: listing
		// one directory costs its members, not the archive's.
		if unmatched, err = a.Select(o.patterns, list); err != nil {
			return o.errorf(err)
		}
	}
	return o.notFound(unmatched)
}

// memberJSON is the --json form of a member.
type memberJSON struct {
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Size       int64             `json:"size"`
	Mode       int64             `json:"mode"`
	ModTime    time.Time         `json:"mtime"`
	Uid        int               `json:"uid"`
	Gid        int               `json:"gid"`
	Uname      string            `json:"uname,omitempty"`
	Gname      string            `json:"gname,omitempty"`
	Linkname   string            `json:"linkname,omitempty"`
	Devmajor   int64             `json:"devmajor,omitempty"`
	Devminor   int64             `json:"devminor,omitempty"`
	Offset     int64             `json:"offset"`
	DataOffset int64             `json:"data_offset"`
	Sparse     bool              `json:"sparse,omitempty"`
	CRC32      string            `json:"crc32"`
	PAX        map[string]string `json:"pax,omitempty"`
}

func jsonMember(m *index.Member) memberJSON {
	h := &m.Header
	return memberJSON{
		Name: h.Name, Type: typeName(h.Typeflag), Size: h.Size, Mode: h.Mode, ModTime: h.ModTime,
		Uid: h.Uid, Gid: h.Gid, Uname: h.Uname, Gname: h.Gname, Linkname: h.Linkname,
		Devmajor: h.Devmajor, Devminor: h.Devminor, Offset: m.HeaderOffset, DataOffset: m.DataOffset,
		Sparse: m.Sparse, CRC32: fmt.Sprintf("%08x", m.CRC), PAX: h.PAXRecords,
	}
}
