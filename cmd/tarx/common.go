package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/remote"
	"github.com/urfave/cli/v2"
)

// commonOptions are what every command takes: the archive (its first
// argument), the global flags, and where it writes.
type commonOptions struct {
	command   string // the command's name, for usage errors
	archive   string
	name      string            // the archive in messages: a location without credentials or query
	indexPath string            // --index
	noReindex bool              // --no-reindex
	remote    remote.Options    // --no-sign-request, --endpoint-url, --region
	opened    *[]*index.Archive // archives opened, for --stats
	stdout    io.Writer
	stderr    io.Writer // progress: lines go above the bars
	progress  *progress
}

// commonOptionsFrom returns the common options of the command line, which
// must have at least min positional arguments (what names them).
func commonOptionsFrom(c *cli.Context, min int, what string) (commonOptions, error) {
	if c.NArg() < min {
		return commonOptions{}, usagef("%s: missing %s", c.Command.Name, what)
	}
	pb := newProgress(c.App.Writer, c.App.ErrWriter, c.Bool("no-progress"))
	return commonOptions{
		command:   c.Command.Name,
		archive:   c.Args().First(),
		name:      shown(c.Args().First()),
		indexPath: c.String("index"),
		noReindex: c.Bool("no-reindex"),
		remote: remote.Options{
			NoSignRequest: c.Bool("no-sign-request"),
			EndpointURL:   c.String("endpoint-url"),
			Region:        c.String("region"),
		},
		opened:   openedArchives(c),
		stdout:   c.App.Writer,
		stderr:   pb,
		progress: pb,
	}, nil
}

// shown returns an archive argument fit for messages: a remote location
// without credentials or query.
func shown(arg string) string {
	if !remote.IsRemote(arg) {
		return arg
	}
	if l, err := remote.ParseLocation(arg); err == nil {
		return l.String()
	}
	return "(bad location)"
}

// openedArchives returns the app's list of opened archives, kept in its
// metadata for --stats.
func openedArchives(c *cli.Context) *[]*index.Archive {
	if c.App.Metadata == nil {
		c.App.Metadata = map[string]any{}
	}
	l, ok := c.App.Metadata["opened"].(*[]*index.Archive)
	if !ok {
		l = new([]*index.Archive)
		c.App.Metadata["opened"] = l
	}
	return l
}

// track remembers an opened archive for --stats.
func (o commonOptions) track(a *index.Archive) {
	if o.opened != nil {
		*o.opened = append(*o.opened, a)
	}
}

// printStats reports what the archives opened by the command cost.
func printStats(c *cli.Context) {
	for _, a := range *openedArchives(c) {
		arch, idx := a.Stats()
		fmt.Fprintf(c.App.ErrWriter, "tarx: stats: %s: archive %d bytes in %d requests, index %d bytes in %d requests\n",
			a.Info().Archive, arch.BytesFetched, arch.Requests, idx.BytesFetched, idx.Requests)
	}
}

// action returns a command's action: build its options from the command
// line with from, then run them.
func action[O any](from func(*cli.Context) (O, error), run func(context.Context, O) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		o, err := from(c)
		if err != nil {
			return err
		}
		return run(c.Context, o)
	}
}

// openOptions returns the index options set by the global flags.
func (o commonOptions) openOptions() index.Options {
	return index.Options{
		IndexPath:    o.indexPath,
		NoReindex:    o.noReindex,
		Remote:       o.remote,
		BuildOptions: o.buildOptions(),
	}
}

// buildOptions returns the options of an index build.
func (o commonOptions) buildOptions() index.BuildOptions {
	return index.BuildOptions{ToolVersion: toolVersion(), Warn: o.warn}
}

// warn prints a notice on stderr.
func (o commonOptions) warn(msg string) { fmt.Fprintf(o.stderr, "tarx: %s\n", msg) }

// errorf returns an error about the archive.
func (o commonOptions) errorf(err error) error {
	return fmt.Errorf("%s: %w", o.name, err)
}

// openArchive opens the archive with its index, building the index if
// needed.
func (o commonOptions) openArchive(ctx context.Context) (*index.Archive, error) {
	return o.openWith(ctx, o.openOptions(), index.Open)
}

// openWith opens the archive with open (index.Open or index.Build),
// showing progress while an index is built.
func (o commonOptions) openWith(ctx context.Context, opts index.Options, open func(context.Context, string, index.Options) (*index.Archive, error)) (*index.Archive, error) {
	pb := o.progress.bar("indexing", false)
	opts.Progress = pb.update
	a, err := open(ctx, o.archive, opts)
	pb.done()
	if err != nil {
		return nil, o.errorf(err)
	}
	o.track(a)
	return a, nil
}

// bufferedStdout returns a buffered writer on the command's output.
func (o commonOptions) bufferedStdout() *bufio.Writer {
	return bufio.NewWriterSize(o.stdout, 64<<10)
}

// notFound reports names or patterns that matched nothing, tar style, and
// fails if there are any.
func (o commonOptions) notFound(missing []string) error {
	if len(missing) == 0 {
		return nil
	}
	for _, n := range missing {
		fmt.Fprintf(o.stderr, "tarx: %s: %s: not found in archive\n", o.name, n)
	}
	return &exitError{code: 1}
}

// parseSize parses a byte count such as 4M, 512KiB or 1048576.
func parseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v <= 0 || v > (1<<40)/mult {
		return 0, usagef("invalid size %q", s)
	}
	return v * mult, nil
}

// humanBytes formats n with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
