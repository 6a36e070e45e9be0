package main

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tarx-dev/tarx/extract"
	"github.com/tarx-dev/tarx/internal/match"
	"github.com/urfave/cli/v2"
)

// tarFlags are GNU tar's extraction options, with GNU tar's meaning,
// shared by extract and get (README.md has the table of differences).
func tarFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Count: new(int), Usage: "list members as they are extracted (-vv: in the long format of tar -tv)"},
		&cli.StringSliceFlag{Name: "exclude", Usage: "leave out members matching `PATTERN` (repeatable; GNU tar's matching: unanchored, * matches /)"},
		&cli.StringSliceFlag{Name: "exclude-from", Aliases: []string{"X"}, Usage: "read exclusion patterns from `FILE`, one a line"},
		&cli.BoolFlag{Name: "wildcards", Usage: "match member patterns as GNU tar --wildcards does (fnmatch, * matches /)"},
		&cli.BoolFlag{Name: "no-wildcards", Usage: "member names and --exclude patterns are plain names"},
		&cli.BoolFlag{Name: "wildcards-match-slash", Usage: "with --wildcards and --exclude, * and ? match / (the default)"},
		&cli.BoolFlag{Name: "no-wildcards-match-slash", Usage: "with --wildcards and --exclude, * and ? do not match /"},
		&cli.BoolFlag{Name: "keep-old-files", Aliases: []string{"k"}, Usage: "do not replace existing files; report each as an error"},
		&cli.BoolFlag{Name: "skip-old-files", Usage: "do not replace existing files, silently"},
		&cli.BoolFlag{Name: "overwrite", Usage: "replace existing files (the default; tarx never writes into them)"},
		&cli.BoolFlag{Name: "keep-newer-files", Usage: "do not replace existing files that are newer than the archive's"},
		&cli.BoolFlag{Name: "same-owner", Usage: "give files the archived owners (default as root)"},
		&cli.BoolFlag{Name: "no-same-owner", Usage: "files belong to the user running tarx (default as a user)"},
		&cli.BoolFlag{Name: "numeric-owner", Usage: "use the archived uid and gid, not the user and group names"},
		&cli.BoolFlag{Name: "same-permissions", Aliases: []string{"p", "preserve-permissions"}, Usage: "apply archived modes exactly, ignoring the umask (default as root)"},
		&cli.BoolFlag{Name: "no-same-permissions", Usage: "apply the umask to archived modes (default as a user)"},
		&cli.BoolFlag{Name: "touch", Aliases: []string{"m"}, Usage: "do not restore modification times"},
		&cli.BoolFlag{Name: "totals", Usage: "print the total bytes read at the end, as tar --totals"},
	}
}

// tarOptions are the values of tarFlags.
type tarOptions struct {
	verbose      int
	exclude      []string
	wildcards    bool // --wildcards
	noWildcards  bool // --no-wildcards
	matchSlash   bool
	oldFiles     extract.OldFiles
	sameOwner    bool
	numericOwner bool
	permissions  extract.Permissions
	touch        bool
	totals       bool
}

func tarOptionsFrom(c *cli.Context) (tarOptions, error) {
	o := tarOptions{
		verbose:      c.Count("verbose"),
		exclude:      c.StringSlice("exclude"),
		wildcards:    c.Bool("wildcards"),
		noWildcards:  c.Bool("no-wildcards"),
		matchSlash:   !c.Bool("no-wildcards-match-slash"),
		sameOwner:    os.Geteuid() == 0,
		numericOwner: c.Bool("numeric-owner"),
		touch:        c.Bool("touch"),
		totals:       c.Bool("totals"),
	}
	for _, file := range c.StringSlice("exclude-from") {
		pats, err := readPatterns(file)
		if err != nil {
			return tarOptions{}, err
		}
		o.exclude = append(o.exclude, pats...)
	}
	if o.wildcards && o.noWildcards {
		return tarOptions{}, usagef("%s: --wildcards and --no-wildcards conflict", c.Command.Name)
	}
	if c.Bool("wildcards-match-slash") && c.Bool("no-wildcards-match-slash") {
		return tarOptions{}, usagef("%s: --wildcards-match-slash and --no-wildcards-match-slash conflict", c.Command.Name)
	}
	n := 0
	for flag, policy := range map[string]extract.OldFiles{
		"keep-old-files": extract.KeepOldFiles, "skip-old-files": extract.SkipOldFiles,
		"keep-newer-files": extract.KeepNewerFiles, "overwrite": extract.ReplaceOldFiles,
	} {
		if c.Bool(flag) {
			o.oldFiles = policy
			n++
		}
	}
	if n > 1 {
		return tarOptions{}, usagef("%s: choose one of --keep-old-files, --skip-old-files, --keep-newer-files and --overwrite", c.Command.Name)
	}
	switch {
	case c.Bool("same-owner") && c.Bool("no-same-owner"):
		return tarOptions{}, usagef("%s: --same-owner and --no-same-owner conflict", c.Command.Name)
	case c.Bool("same-owner"):
		o.sameOwner = true
	case c.Bool("no-same-owner"):
		o.sameOwner = false
	}
	switch {
	case c.Bool("same-permissions") && c.Bool("no-same-permissions"):
		return tarOptions{}, usagef("%s: --same-permissions and --no-same-permissions conflict", c.Command.Name)
	case c.Bool("same-permissions"):
		o.permissions = extract.SamePermissions
	case c.Bool("no-same-permissions"):
		o.permissions = extract.UmaskPermissions
	}
	return o, nil
}

// readPatterns reads the patterns of --exclude-from: one a line, as GNU
// tar reads them (empty lines are patterns that match nothing, so they are
// dropped).
func readPatterns(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("--exclude-from: %w", err)
	}
	defer f.Close()
	var pats []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSuffix(sc.Text(), "\r"); line != "" {
			pats = append(pats, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--exclude-from %s: %w", file, err)
	}
	return pats, nil
}

// selection is how the members of an extraction are chosen: the patterns
// handed to package extract (tarx's globs, or names quoted by
// diskOptionsFrom with --no-wildcards), or, with --wildcards, GNU tar's
// matcher; and the exclusion patterns.
type selection struct {
	patterns []string   // for extract.Options.Patterns
	include  *match.GNU // with --wildcards: selects members instead
	exclude  *match.GNU // nil without --exclude
	mu       sync.Mutex // the matchers are not safe for concurrent use
}

func (o tarOptions) selection(patterns []string) *selection {
	s := &selection{patterns: patterns}
	if o.wildcards && len(patterns) > 0 {
		s.patterns = nil
		s.include = match.NewGNU(patterns, match.GNUOptions{Wildcards: true, MatchSlash: o.matchSlash, Anchored: true})
	}
	if len(o.exclude) > 0 {
		s.exclude = match.NewGNU(o.exclude, match.GNUOptions{Wildcards: !o.noWildcards, MatchSlash: o.matchSlash})
	}
	return s
}

// excluded is extract.Options.Exclude: true for members that --exclude
// leaves out or that --wildcards patterns do not select.
func (s *selection) excluded(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.include != nil && !s.include.Match(name) {
		return true
	}
	return s.exclude != nil && s.exclude.Match(name)
}

// unmatched returns the member patterns that selected nothing, given what
// extract reported.
func (s *selection) unmatched(fromExtract []string) []string {
	if s.include == nil {
		return fromExtract
	}
	return s.include.Unmatched()
}

// verboseLister is extract.Options.Selected for -v: it prints each member
// as tar -xv does (-vv: as tar -xvv, the long format of tar -tv).
func verboseLister(w io.Writer, level int) func(*tar.Header) {
	if level == 0 {
		return nil
	}
	l := newLister()
	return func(h *tar.Header) {
		if level > 1 {
			fmt.Fprintln(w, l.long(h))
			return
		}
		fmt.Fprintln(w, l.short(h))
	}
}

// recordSize is GNU tar's default record: 20 blocks of 512 bytes.
const recordSize = 20 * 512

// printTotals prints the line of tar --totals for a tar stream of n
// bytes, which GNU tar reads whole, in whole records (the last one counts
// whole even if short).
func printTotals(w io.Writer, n int64, elapsed time.Duration) {
	n = (n + recordSize - 1) / recordSize * recordSize
	rate := float64(n)
	if s := elapsed.Seconds(); s > 0 {
		rate /= s
	}
	fmt.Fprintf(w, "Total bytes read: %d (%s, %s/s)\n", n, tarHuman(float64(n)), tarHuman(rate))
}

// tarHuman formats n as GNU tar's --totals does ("9.8MiB", "20KiB").
func tarHuman(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if n < 10 && i > 0 {
		return fmt.Sprintf("%.1f%s", n, units[i])
	}
	return fmt.Sprintf("%.0f%s", n, units[i])
}
