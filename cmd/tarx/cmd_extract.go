package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tarx-dev/tarx/extract"
	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/match"
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
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "directory", Aliases: []string{"C"}, Value: ".", Usage: "extract into `DIR` (created if missing)"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "`N` workers (default: number of CPUs)"},
			&cli.IntFlag{Name: "strip-components", Usage: "drop `N` leading path elements"},
			filesFromFlag, nullFlag,
			&cli.StringFlag{Name: "save-index", Usage: "with ARCHIVE -, write the index to `PATH`"},
		}, append(shardFlags(), tarFlags()...)...),
		UseShortOptionHandling: true,
		Action:                 action(extractOptionsFrom, runExtract),
	}
}

// extractOptions are the options of tarx extract, and of tarx get into a
// directory.
type extractOptions struct {
	commonOptions
	diskOptions
	jobs      int       // --jobs (0: one per CPU)
	saveIndex string    // --save-index, with ARCHIVE -
	stdin     io.Reader // the archive if it is -
}

// diskOptions are what get and extract share: the members selected (all
// if no pattern), where they are written, and GNU tar's options.
type diskOptions struct {
	patterns        []string // the names and patterns after the archive
	dir             string   // --directory
	stripComponents int      // --strip-components
	tar             tarOptions
	shardOptions    // --shard, --shards, --finish
}

func diskOptionsFrom(c *cli.Context) (diskOptions, error) {
	t, err := tarOptionsFrom(c)
	if err != nil {
		return diskOptions{}, err
	}
	o := diskOptions{
		patterns:        c.Args().Tail(),
		dir:             c.String("directory"),
		stripComponents: c.Int("strip-components"),
		tar:             t,
	}
	if t.noWildcards {
		for i, p := range o.patterns {
			o.patterns[i] = match.Literal(p)
		}
	}
	names, err := filesFrom(c)
	o.patterns = append(o.patterns, names...)
	if err != nil || c.Command.Name == "plan" {
		return o, err // plan has --shards of its own, and no --shard
	}
	o.shardOptions, err = shardOptionsFrom(c)
	return o, err
}

// -T and --null, on get and extract.
var (
	filesFromFlag = &cli.StringFlag{Name: "files-from", Aliases: []string{"T"},
		Usage: "select the members named in `FILE` (- for standard input), one per line; names are literal, not globs"}
	nullFlag = &cli.BoolFlag{Name: "null", Usage: "with -T, names end with NUL bytes instead of newlines"}
)

// filesFrom reads the names of -T FILE, as GNU tar reads them: one per
// line (per NUL-terminated string with --null), empty ones ignored, each
// a literal name (its glob syntax escaped).
func filesFrom(c *cli.Context) ([]string, error) {
	path := c.String("files-from")
	if path == "" {
		if c.Bool("null") {
			return nil, usagef("%s: --null needs -T FILE", c.Command.Name)
		}
		return nil, nil
	}
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(c.App.Reader)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("-T: %w", err)
	}
	sep := "\n"
	if c.Bool("null") {
		sep = "\x00"
	}
	var names []string
	for name := range strings.SplitSeq(string(b), sep) {
		if name != "" {
			names = append(names, match.Literal(name))
		}
	}
	if len(names) == 0 {
		return nil, usagef("%s: no names in %s", c.Command.Name, path)
	}
	return names, nil
}

func extractOptionsFrom(c *cli.Context) (extractOptions, error) {
	common, err := commonOptionsFrom(c, 1, "ARCHIVE")
	if err != nil {
		return extractOptions{}, err
	}
	disk, err := diskOptionsFrom(c)
	if err != nil {
		return extractOptions{}, err
	}
	o := extractOptions{
		commonOptions: common,
		diskOptions:   disk,
		jobs:          c.Int("jobs"),
		saveIndex:     c.String("save-index"),
		stdin:         c.App.Reader,
	}
	o.remote.Readers = extract.Workers(o.jobs)
	if o.archive == "-" && o.sharded() {
		return extractOptions{}, usagef("extract: shards need an index: ARCHIVE cannot be -")
	}
	if o.archive != "-" && o.saveIndex != "" {
		return extractOptions{}, usagef("extract: --save-index is for ARCHIVE - (use --index for a file)")
	}
	return o, nil
}

// runExtract extracts the archive: from standard input, in one pass
// building the index on the way if there is none, or with the index.
func runExtract(ctx context.Context, o extractOptions) error {
	extractGC(o.scanJobs())
	if o.archive == "-" {
		return extractStream(ctx, o)
	}
	if o.sharded() {
		// Shards work from the index: one that is published with a remote
		// archive is fetched; a local archive without one is indexed.
		a, err := o.openArchive(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		return extractIndexed(ctx, a, o)
	}
	opts := o.openOptions()
	opts.NoBuild = true
	if len(o.patterns) == 0 && len(o.tar.exclude) == 0 {
		opts.Prefetch = func(a *index.Archive) { extract.Prefetch(a, o.jobs) }
	}
	a, err := index.Open(ctx, o.archive, opts)
	if errors.Is(err, index.ErrNoIndex) {
		return extractCold(ctx, o)
	}
	if err != nil {
		return o.errorf(err)
	}
	o.track(a)
	defer a.Close()
	return extractIndexed(ctx, a, o)
}

// extraction is one run of package extract: its options, the selection
// they use and the progress bar they feed.
type extraction struct {
	opts  extract.Options
	sel   *selection
	bar   *bar
	start time.Time
}

// extraction returns the options of package extract; the bar shows
// progress as msg. With an index (info not nil) the bar counts the
// bytes written against the size of the tar stream, and the members
// against all the archive's when all are extracted; without one, the
// index build moves it by the compressed bytes read.
func (o extractOptions) extraction(msg string, info *index.Info) *extraction {
	sel := o.tar.selection(o.patterns)
	b := o.progress.bar(msg, true)
	x := &extraction{sel: sel, bar: b, start: time.Now()}
	var total int64
	if info != nil && len(o.patterns) == 0 && sel.exclude == nil {
		total = info.Members
	}
	x.opts = extract.Options{
		Dir:      o.dir,
		Jobs:     o.jobs,
		Patterns: sel.patterns,
		Writer: extract.WriterOptions{
			StripComponents: o.stripComponents,
			SameOwner:       o.tar.sameOwner,
			NumericOwner:    o.tar.numericOwner,
			OldFiles:        o.tar.oldFiles,
			Permissions:     o.tar.permissions,
			Touch:           o.tar.touch,
			Warn:            o.warn,
		},
		Report:   func(err error) { fmt.Fprintf(o.stderr, "tarx: %s: %s\n", o.name, oneLine(err.Error())) },
		Selected: verboseLister(o.progress.Stdout(), o.tar.verbose),
		Progress: func(members, bytes int64) {
			b.setMembers(members, total)
			if info != nil {
				b.update(bytes, info.UncompressedSize)
			}
		},
	}
	if sel.include != nil || sel.exclude != nil {
		x.opts.Exclude = sel.excluded
	}
	return x
}

// extractIndexed extracts the selected members with the index.
func extractIndexed(ctx context.Context, a *index.Archive, o extractOptions) error {
	if o.jobs < 0 || o.stripComponents < 0 {
		return usagef("%s: negative number", o.command)
	}
	info := a.Info()
	x := o.extraction("extracting", &info)
	x.opts.Shard, x.opts.Shards = o.shard.K, o.shard.N
	run := extract.FromIndex
	if o.finishing {
		run = extract.Finish
	}
	res, err := run(ctx, a, x.opts)
	x.bar.done()
	if err != nil {
		return o.errorf(err)
	}
	return o.finish(x, res, a.Info().UncompressedSize)
}

// finish reports names that matched nothing, prints --totals (tarBytes:
// the size of the tar stream) and turns member errors into exit status 1.
func (o extractOptions) finish(x *extraction, res extract.Result, tarBytes int64) error {
	if o.tar.totals {
		printTotals(o.stderr, tarBytes, time.Since(x.start))
	}
	if err := o.notFound(x.sel.unmatched(res.Unmatched)); err != nil {
		return err
	}
	if res.Errors > 0 {
		return &exitError{code: 1}
	}
	return nil
}

// scanJobs returns how many goroutines inflate the archive when there is
// no index: the index build's default, at most -j (-j 1 is sequential
// throughout). On two cores that is one, even for -j 2: speculative
// decoding took the core the file writes need (a cold extraction of the
// Go tree took 575 ms against 487 ms).
func (o extractOptions) scanJobs() int {
	if o.jobs > 0 {
		return min(o.jobs, index.DefaultJobs())
	}
	return index.DefaultJobs()
}

// extractCold extracts an archive that has no index yet in one pass,
// building the index on the way.
func extractCold(ctx context.Context, o extractOptions) error {
	x := o.extraction("extracting", nil)
	defer x.bar.done()
	s, err := extract.NewStreamer(ctx, x.opts)
	if err != nil {
		return o.errorf(err)
	}
	streamed := false
	opts := o.openOptions()
	opts.Jobs = o.scanJobs()
	opts.Progress = x.bar.update
	opts.OnMember = func(m *index.Member, data io.Reader) error {
		streamed = true
		return s.Member(m.Seq, &m.Header, data)
	}
	a, err := index.Open(ctx, o.archive, opts)
	res, cerr := s.Close()
	x.bar.done()
	if err != nil {
		return o.errorf(err)
	}
	o.track(a)
	defer a.Close()
	if cerr != nil {
		return o.errorf(cerr)
	}
	if !streamed {
		// Another process built the index meanwhile: use it.
		return extractIndexed(ctx, a, o)
	}
	return o.finish(x, res, a.Info().UncompressedSize)
}

// extractStream extracts from standard input, writing the index to
// --save-index if it is given.
func extractStream(ctx context.Context, o extractOptions) error {
	x := o.extraction("extracting", nil)
	defer x.bar.done()
	s, err := extract.NewStreamer(ctx, x.opts)
	if err != nil {
		return o.errorf(err)
	}
	opts := o.buildOptions()
	opts.Jobs = o.scanJobs()
	var tarBytes int64
	opts.OnMember = func(m *index.Member, data io.Reader) error {
		tarBytes = m.DataEnd
		return s.Member(m.Seq, &m.Header, data)
	}
	_, err = index.Scan(ctx, o.stdin, o.saveIndex, opts)
	res, cerr := s.Close()
	x.bar.done()
	if err != nil {
		return o.errorf(err)
	}
	if cerr != nil {
		return o.errorf(cerr)
	}
	return o.finish(x, res, tarBytes)
}
