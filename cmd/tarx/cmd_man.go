//go:build !urfave_cli_no_docs

package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// The manual page comes from urfave/cli's ToMan, which links
// cpuguy83/go-md2man and russross/blackfriday. Their package
// initialization (blackfriday builds an HTML entity map of some 2,000
// names) costs every process of tarx about 0.7 ms of CPU, a twentieth of a
// fresh-process get, for a hidden command that only the build uses. So
// the Makefile builds bin/tarx with urfave/cli's urfave_cli_no_docs tag,
// which leaves them out (cmd_man_nodocs.go), and the manual page with a
// separate build without the tag; go build and go test keep the command.

// printMan writes the manual page, in troff, to the app's writer.
func printMan(c *cli.Context) error {
	s, err := c.App.ToManWithSection(1)
	if err != nil {
		return fmt.Errorf("man: %w", err)
	}
	_, err = io.WriteString(c.App.Writer, s)
	return err
}
