package main

import (
	"context"
	"errors"
	"strings"

	"github.com/tarx-dev/tarx/mount"
	"github.com/urfave/cli/v2"
)

func umountCommand() *cli.Command {
	return &cli.Command{
		Name:      "umount",
		Usage:     "unmount an archive mounted with tarx mount",
		ArgsUsage: "MOUNTPOINT",
		Description: "Unmounts directly as root, through fusermount3 -u otherwise. The background server\n" +
			"exits once the file system is gone.\n\nExample:\n   tarx umount /mnt/big",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "lazy", Aliases: []string{"z"}, Usage: "detach now even if files are open; it goes once they are closed"},
		},
		Action: action(umountOptionsFrom, runUmount),
	}
}

// umountOptions are the options of tarx umount.
type umountOptions struct {
	commonOptions // archive is the mount point
	lazy          bool
}

func umountOptionsFrom(c *cli.Context) (umountOptions, error) {
	common, err := commonOptionsFrom(c, 1, "MOUNTPOINT")
	if err != nil {
		return umountOptions{}, err
	}
	if c.NArg() > 1 {
		return umountOptions{}, usagef("umount: one MOUNTPOINT only")
	}
	return umountOptions{commonOptions: common, lazy: c.Bool("lazy")}, nil
}

// runUmount unmounts the mount point.
func runUmount(ctx context.Context, o umountOptions) error {
	if err := mount.Unmount(o.archive, o.lazy); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "mount: "))
	}
	return nil
}
