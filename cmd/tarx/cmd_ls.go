package main

import (
	"encoding/json"
	"fmt"
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
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, "ARCHIVE"); err != nil {
				return err
			}
			m, err := match.New(c.Args().Tail())
			if err != nil {
				return usagef("%v", err)
			}
			a, err := openArchive(c, indexOptions(c))
			if err != nil {
				return err
			}
			defer a.Close()
			w := bufferedStdout(c)
			defer w.Flush()
			l := newLister()
			enc := json.NewEncoder(w)
			err = a.Members(func(mem *index.Member) error {
				if !m.Match(mem.Header.Name) {
					return nil
				}
				switch {
				case c.Bool("json"):
					return enc.Encode(jsonMember(mem))
				case c.Bool("long"):
					_, err := fmt.Fprintln(w, l.long(&mem.Header))
					return err
				default:
					_, err := fmt.Fprintln(w, l.short(&mem.Header))
					return err
				}
			})
			if err != nil {
				return fmt.Errorf("%s: %w", shown(c.Args().First()), err)
			}
			return notFound(c, m.Unmatched())
		},
	}
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

// notFound reports names or patterns that matched nothing, tar style, and
// fails if there are any.
func notFound(c *cli.Context, missing []string) error {
	if len(missing) == 0 {
		return nil
	}
	for _, n := range missing {
		fmt.Fprintf(c.App.ErrWriter, "tarx: %s: %s: not found in archive\n", shown(c.Args().First()), n)
	}
	return &exitError{code: 1}
}
