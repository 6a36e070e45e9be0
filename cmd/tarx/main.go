// Command tarx makes big tar.gz archives fast to use more than once: it
// indexes an archive once, then gets single members in milliseconds and
// extracts with every core.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// version is set by the Makefile through -ldflags; otherwise the module
// version from the build info is used.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// exitError carries an exit status for an error that was already reported
// (for example per-member errors during an extraction).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run runs the command line args and returns the exit status. All errors
// are printed here, as one line each, starting with "tarx: ".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, reorderArgs(app, args))
	if err == nil {
		return 0
	}
	var ue *usageError
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "tarx: %s\n", ue.msg)
		fmt.Fprintf(stderr, "Try 'tarx --help' for more information.\n")
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "tarx: interrupted\n")
		return 130
	}
	fmt.Fprintf(stderr, "tarx: %s\n", oneLine(err.Error()))
	return 1
}

// oneLine folds a possibly multi-line message (joined errors) into one line.
func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")
}

// commit is set by the Makefile through -ldflags; otherwise the VCS
// revision from the build info is used.
var commit = ""

// versionLine is what tarx --version prints after "tarx version ": the
// version, the commit and the Go version that built it.
func versionLine() string {
	c := commit
	if bi, ok := debug.ReadBuildInfo(); ok && c == "" {
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				c = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if len(c) > 12 {
			c = c[:12]
		}
		if c != "" && modified {
			c += "-dirty"
		}
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, %s %s/%s)", toolVersion(), c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:    "tarx",
		Usage:   "fast repeated access to big tar.gz archives",
		Version: versionLine(),
		Description: "tarx reads a tar.gz once and stores gzip checkpoints and every member in an index file\n" +
			"(ARCHIVE.tarx beside the archive, or in the user cache directory). From then on it gets\n" +
			"single members in milliseconds and extracts with all cores. Every command builds the\n" +
			"index on first use.",
		Writer:               stdout,
		ErrWriter:            stderr,
		Suggest:              true,
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "index", Usage: "index file `PATH` (default: ARCHIVE.tarx, or the user cache directory)"},
			&cli.BoolFlag{Name: "no-reindex", Usage: "fail instead of rebuilding a stale index"},
			&cli.BoolFlag{Name: "no-progress", Usage: "draw no progress bars (none are drawn unless stderr is a terminal)"},
			&cli.BoolFlag{Name: "no-sign-request", Usage: "read s3:// archives anonymously (public buckets)"},
			&cli.StringFlag{Name: "region", Usage: "S3 `REGION` of the bucket (default: found from the bucket, starting from AWS_REGION or the shared config)"},
			&cli.StringFlag{Name: "endpoint-url", Usage: "S3 endpoint `URL` for an S3-compatible store (path-style; AWS_ENDPOINT_URL works too)"},
			&cli.BoolFlag{Name: "stats", Usage: "print the bytes fetched and requests made for a remote archive and its index"},
		},
		Metadata: map[string]any{},
		After: func(c *cli.Context) error {
			if c.Bool("stats") {
				printStats(c)
			}
			return nil
		},
		Commands: []*cli.Command{
			indexCommand(), lsCommand(), getCommand(), catCommand(),
			extractCommand(), planCommand(), infoCommand(), verifyCommand(), mountCommand(), umountCommand(),
			completionCommand(), manCommand(),
		},
		ExitErrHandler: func(*cli.Context, error) {}, // run maps errors to exit codes
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usagef("%v", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unknown command %q", c.Args().First())
			}
			cli.ShowAppHelp(c)
			return usagef("no command given")
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = app.OnUsageError
	}
	return app
}

// reorderArgs rewrites a command line so that urfave/cli parses it the
// way tar users write it. This is the one place where the difference is
// worked around.
//
// Why: urfave/cli/v2 parses flags with the standard flag package, which
// stops at the first positional argument, so in
// "tarx get a.tar.gz dir/file -O" the -O would be taken for a name; and
// it reads global flags only before the command name, so
// "tarx ls a.tar.gz --index i.tarx" would not reach the global --index.
//
// What: global flags before the command name stay there. After it, each
// argument that starts with "-" (but is not "-" alone, which names
// standard input) is a flag: if the command does not define it and the
// app does (--index, --no-reindex), it is moved before the command name;
// otherwise it stays with the command (an unknown flag too, so that
// urfave/cli reports it as a usage error). A flag that takes a value
// carries the next argument along unless written as --flag=value. The
// first "--" ends the flags: every argument after it is positional, even
// one that starts with "-". The result is
//
//	tarx [global flags] COMMAND [command flags] -- [positional arguments]
//
// with "--" only if there are positional arguments, so that none of them
// is ever parsed as a flag. An unknown command, or none, is left as it is
// for urfave/cli to report.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	// Shell completion asks with this flag last, where urfave/cli looks
	// for it. Only the words that name commands matter then; flags are
	// left out of the parse (urfave/cli panics on an unknown one in this
	// mode, and reads the word being completed from os.Args), and no "--"
	// is added (it would turn completion off and run the command).
	if n := len(args) - 1; args[n] == "--"+cli.BashCompletionFlag.Names()[0] {
		words := []string{args[0]}
		flags := app.Flags
		for i := 1; i < n; i++ {
			a := args[i]
			if !strings.HasPrefix(a, "-") || a == "-" {
				if cmd := app.Command(a); cmd != nil && len(words) == 1 {
					flags = cmd.Flags
				}
				words = append(words, a)
			} else if takesValue(flags, a) {
				i++ // and its value
			}
		}
		return append(words, args[n])
	}
	out := []string{args[0]}
	i := 1
	// Global flags up to the command name.
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" {
		out = append(out, args[i])
		if takesValue(app.Flags, args[i]) && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		}
		i++
	}
	if i >= len(args) {
		return out
	}
	cmd := app.Command(args[i])
	out = append(out, args[i])
	i++
	if cmd == nil {
		return append(out, args[i:]...)
	}
	var global, flags, pos []string
	for ; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			// A global flag (--index) may follow the command too.
			dst, set := &flags, cmd.Flags
			if !isFlag(cmd.Flags, a) && isFlag(app.Flags, a) {
				dst, set = &global, app.Flags
			}
			*dst = append(*dst, a)
			if takesValue(set, a) && i+1 < len(args) {
				*dst = append(*dst, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	if len(global) > 0 {
		// Insert them before the command name.
		name := out[len(out)-1]
		out = append(append(out[:len(out)-1], global...), name)
	}
	out = append(out, flags...)
	if len(pos) > 0 {
		out = append(out, "--")
	}
	return append(out, pos...)
}

// isFlag reports whether arg names one of flags.
func isFlag(flags []cli.Flag, arg string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}

// takesValue reports whether arg names a flag that takes a separate value.
func takesValue(flags []cli.Flag, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if bf, ok := f.(*cli.BoolFlag); ok && bf != nil {
				return false
			}
			return true
		}
	}
	return false
}
