package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tarx-dev/tarx/index"
	"github.com/urfave/cli/v2"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check every gzip CRC, every member checksum and the index",
		ArgsUsage: "ARCHIVE",
		Description: "Reads the whole archive once and checks it against its index: gzip CRC-32s and\n" +
			"sizes, every member's contents and record, every checkpoint. Exits 1 on any\n" +
			"mismatch, naming the member. With --json, one JSON object on standard output says\n" +
			"what was checked and lists the problems (the exit status is the same).\n\nExample:\n   tarx verify big.tar.gz",
		Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print one JSON object"}},
		Action: action(verifyOptionsFrom, runVerify),
	}
}

// verifyOptions are the options of tarx verify.
type verifyOptions struct {
	commonOptions
	json bool // --json
}

func verifyOptionsFrom(c *cli.Context) (verifyOptions, error) {
	common, err := commonOptionsFrom(c, 1, "ARCHIVE")
	return verifyOptions{commonOptions: common, json: c.Bool("json")}, err
}

// verifyReport is the JSON object of verify --json.
type verifyReport struct {
	Archive     string   `json:"archive"`
	Index       string   `json:"index"`
	OK          bool     `json:"ok"`
	Compression string   `json:"compression"`
	Members     int64    `json:"members"`
	GzipMembers int64    `json:"gzip_members"`
	Checkpoints int64    `json:"checkpoints"`
	Problems    []string `json:"problems"`
}

// runVerify checks the whole archive against its index, printing one line
// for each problem.
func runVerify(ctx context.Context, o verifyOptions) error {
	a, err := o.openArchive(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	pb := o.progress.bar("verifying", false)
	problems, err := a.Verify(ctx, pb.update)
	pb.done()
	rep := verifyReport{Archive: o.name, Problems: []string{}}
	for _, p := range problems {
		fmt.Fprintf(o.stderr, "tarx: %s: %s\n", o.name, oneLine(p.Error()))
		rep.Problems = append(rep.Problems, oneLine(p.Error()))
	}
	if err != nil {
		// The check stopped there: one more problem.
		rep.Problems = append(rep.Problems, oneLine(err.Error()))
		err = o.errorf(err)
	}
	info := a.Info()
	rep.Index, rep.Members, rep.GzipMembers, rep.Checkpoints = info.IndexPath, info.Members, info.GzipMembers, info.Checkpoints
	rep.Compression = string(info.Compression)
	rep.OK = len(rep.Problems) == 0
	if o.json {
		b, _ := json.Marshal(rep)
		fmt.Fprintf(o.stdout, "%s\n", b)
	}
	if err != nil {
		return err
	}
	if !rep.OK {
		return &exitError{code: 1}
	}
	switch {
	case o.json:
	case info.Compression == index.None:
		fmt.Fprintf(o.stdout, "%s: OK: %d members verified (plain tar)\n", o.name, info.Members)
	default:
		fmt.Fprintf(o.stdout, "%s: OK: %d members, %d gzip members, %d checkpoints verified\n",
			o.name, info.Members, info.GzipMembers, info.Checkpoints)
	}
	return nil
}
