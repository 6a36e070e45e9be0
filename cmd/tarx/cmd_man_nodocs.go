//go:build urfave_cli_no_docs

package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// printMan, in a build without urfave/cli's manual generator (see
// cmd_man.go), says where the manual comes from.
func printMan(*cli.Context) error {
	return errors.New("man: this tarx was built without the manual generator (-tags urfave_cli_no_docs); make man writes bin/tarx.1")
}
