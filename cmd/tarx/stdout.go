package main

import (
	"bufio"

	"github.com/urfave/cli/v2"
)

// bufferedStdout returns a buffered writer on the command's output.
func bufferedStdout(c *cli.Context) *bufio.Writer {
	return bufio.NewWriterSize(c.App.Writer, 64<<10)
}
