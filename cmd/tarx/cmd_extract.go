package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tarx-dev/tarx/extract"
	"github.com/tarx-dev/tarx/index"
	"github.com/urfave/cli/v2"
)

func extractCommand() *cli.Command {
	return &cli.Command{
		Name:      "extract",
		Aliases:   []string{"x"},
		Usage:     "extract the archive with all cores",
		ArgsUsage: "ARCHIVE [PATTERN...]",
		Description: "With an index, each worker resumes at its own checkpoint, so inflating and writing\n" +
			"run in parallel. Without one, the archive is read once, files are written by a pool\n" +
			"of workers, and the index is left behind for next time. ARCHIVE may be - for\n" +
			"standard input (no index then, unless --save-index).\n\n" +
			"Examples:\n   tarx extract big.tar.gz -C out\n   tarx extract big.tar.gz -C out -j 4 'docs/**'\n" +
			"   curl -s https://example.com/big.tar.gz | tarx extract - -C out",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "directory", Aliases: []string{"C"}, Value: ".", Usage: "extract into `DIR` (created if missing)"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "`N` workers (default: number of CPUs)"},
			&cli.IntFlag{Name: "strip-components", Usage: "drop `N` leading path elements"},
			&cli.StringFlag{Name: "save-index", Usage: "with ARCHIVE -, write the index to `PATH`"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, "ARCHIVE"); err != nil {
				return err
			}
			path := c.Args().First()
			if path == "-" {
				return extractStream(c)
			}
			if c.String("save-index") != "" {
				return usagef("extract: --save-index is for ARCHIVE - (use --index for a file)")
			}
			opts := indexOptions(c)
			opts.NoBuild = true
			a, err := index.Open(c.Context, path, opts)
			if errors.Is(err, index.ErrNoIndex) {
				return extractCold(c)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", shown(path), err)
			}
			track(c, a)
			defer a.Close()
			return extractIndexed(c, a, c.Args().Tail())
		},
	}
}

// extractOptions returns the extraction options set by the flags.
func extractOptions(c *cli.Context, patterns []string) extract.Options {
	errw := c.App.ErrWriter
	path := shown(c.Args().First())
	jobs := 0
	if c.Command.Name != "get" {
		jobs = c.Int("jobs")
	}
	return extract.Options{
		Dir:      c.String("directory"),
		Jobs:     jobs,
		Patterns: patterns,
		Writer: extract.WriterOptions{
			StripComponents: c.Int("strip-components"),
			SameOwner:       os.Geteuid() == 0,
			Warn:            func(msg string) { fmt.Fprintf(errw, "tarx: %s\n", msg) },
		},
		Report: func(err error) { fmt.Fprintf(errw, "tarx: %s: %s\n", path, oneLine(err.Error())) },
	}
}

// extractIndexed extracts the members selected by patterns with the index.
func extractIndexed(c *cli.Context, a *index.Archive, patterns []string) error {
	if c.Int("jobs") < 0 || c.Int("strip-components") < 0 {
		return usagef("%s: negative number", c.Command.Name)
	}
	res, err := extract.FromIndex(c.Context, a, extractOptions(c, patterns))
	if err != nil {
		return fmt.Errorf("%s: %w", shown(c.Args().First()), err)
	}
	return finish(c, res)
}

// finish reports names that matched nothing and turns member errors into
// exit status 1.
func finish(c *cli.Context, res extract.Result) error {
	if err := notFound(c, res.Unmatched); err != nil {
		return err
	}
	if res.Errors > 0 {
		return &exitError{code: 1}
	}
	return nil
}

// extractCold extracts an archive that has no index yet in one pass,
// building the index on the way.
func extractCold(c *cli.Context) error {
	path := c.Args().First()
	s, err := extract.NewStreamer(c.Context, extractOptions(c, c.Args().Tail()))
	if err != nil {
		return fmt.Errorf("%s: %w", shown(path), err)
	}
	streamed := false
	opts := indexOptions(c)
	opts.OnMember = func(m *index.Member, data io.Reader) error {
		streamed = true
		return s.Member(m.Seq, &m.Header, data)
	}
	a, err := index.Open(c.Context, path, opts)
	res, cerr := s.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", shown(path), err)
	}
	track(c, a)
	defer a.Close()
	if cerr != nil {
		return fmt.Errorf("%s: %w", shown(path), cerr)
	}
	if !streamed {
		// Another process built the index meanwhile: use it.
		return extractIndexed(c, a, c.Args().Tail())
	}
	return finish(c, res)
}

// extractStream extracts from standard input.
func extractStream(c *cli.Context) error {
	s, err := extract.NewStreamer(c.Context, extractOptions(c, c.Args().Tail()))
	if err != nil {
		return fmt.Errorf("-: %w", err)
	}
	opts := indexOptions(c)
	opts.IndexPath = c.String("save-index")
	opts.OnMember = func(m *index.Member, data io.Reader) error {
		return s.Member(m.Seq, &m.Header, data)
	}
	_, err = index.Scan(c.Context, c.App.Reader, opts)
	res, cerr := s.Close()
	if err != nil {
		return fmt.Errorf("-: %w", err)
	}
	if cerr != nil {
		return fmt.Errorf("-: %w", cerr)
	}
	return finish(c, res)
}
