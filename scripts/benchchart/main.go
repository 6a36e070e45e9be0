// Command benchchart is the helper behind scripts/bench.sh (make bench). It
// reads the JSON that hyperfine exports and the JSON lines of `tarx ls --json`,
// and draws the extraction chart as a hand-written SVG. Standard library only.
//
//	benchchart stats FILE.json...            one TSV line per result:
//	                                         command median min max mean stddev user system runs
//	benchchart pick N < ls.jsonl             N regular members of size > 0 spread evenly over
//	                                         the archive, the last one included, as TSV:
//	                                         name size data_offset offset
//	benchchart svg -o OUT [-title T] [-subtitle S] [-note N] @GROUP FILE.json... [@GROUP FILE.json...]...
//	                                         horizontal bars of the median time of every result,
//	                                         grouped, with min–max whiskers and value labels
//
// scripts/bench.sh uses python3 for stats and pick when it is installed and
// this program otherwise; both print the same lines.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "stats":
		err = cmdStats(os.Stdout, os.Args[2:])
	case "pick":
		err = cmdPick(os.Stdout, os.Stdin, os.Args[2:])
	case "svg":
		err = cmdSVG(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchchart:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchchart stats FILE.json... | pick N < ls.jsonl | svg -o OUT [-title T] [-subtitle S] [-note N] @GROUP FILE.json...")
	os.Exit(2)
}

// result is one entry of hyperfine's --export-json "results" array.
type result struct {
	Command string    `json:"command"`
	Mean    float64   `json:"mean"`
	Stddev  *float64  `json:"stddev"`
	Median  *float64  `json:"median"`
	User    float64   `json:"user"`
	System  float64   `json:"system"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
	Times   []float64 `json:"times"`
}

func readResults(path string) ([]result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Results []result `json:"results"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for i := range doc.Results {
		r := &doc.Results[i]
		if r.Median == nil {
			m := median(r.Times)
			r.Median = &m
		}
	}
	return doc.Results, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func cmdStats(w io.Writer, files []string) error {
	if len(files) == 0 {
		return errors.New("stats: no files")
	}
	for _, f := range files {
		rs, err := readResults(f)
		if err != nil {
			return err
		}
		for _, r := range rs {
			sd := 0.0
			if r.Stddev != nil {
				sd = *r.Stddev
			}
			fmt.Fprintf(w, "%s\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%d\n",
				clean(r.Command), *r.Median, r.Min, r.Max, r.Mean, sd, r.User, r.System, len(r.Times))
		}
	}
	return nil
}

// clean keeps a field on one TSV line.
func clean(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// member is the part of a `tarx ls --json` line that pick needs.
type member struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Size       int64  `json:"size"`
	Offset     int64  `json:"offset"`
	DataOffset int64  `json:"data_offset"`
}

func cmdPick(w io.Writer, r io.Reader, args []string) error {
	if len(args) != 1 {
		return errors.New("pick: want N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return fmt.Errorf("pick: bad N %q", args[0])
	}
	var files []member
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var m member
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			return fmt.Errorf("pick: %v", err)
		}
		if (m.Type == "file" || m.Type == "reg") && m.Size > 0 && !strings.ContainsAny(m.Name, "\t\n\r") {
			files = append(files, m)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for _, i := range spread(len(files), n) {
		m := files[i]
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\n", m.Name, m.Size, m.DataOffset, m.Offset)
	}
	return nil
}

// spread returns the indexes of n items spread evenly over count: every
// k-th with k = count/n, ending on the last item.
func spread(count, n int) []int {
	if n > count {
		n = count
	}
	out := make([]int, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, i*count/n-1)
	}
	return out
}

type group struct {
	title string
	rows  []result
}

func cmdSVG(args []string) error {
	var out, title, subtitle string
	var notes []string
	var groups []group
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" || a == "-title" || a == "-subtitle" || a == "-note":
			if i+1 >= len(args) {
				return fmt.Errorf("svg: %s wants a value", a)
			}
			i++
			switch a {
			case "-o":
				out = args[i]
			case "-title":
				title = args[i]
			case "-subtitle":
				subtitle = args[i]
			case "-note":
				notes = append(notes, args[i])
			}
		case strings.HasPrefix(a, "@"):
			groups = append(groups, group{title: a[1:]})
		default:
			if len(groups) == 0 {
				groups = append(groups, group{})
			}
			rs, err := readResults(a)
			if err != nil {
				return err
			}
			g := &groups[len(groups)-1]
			g.rows = append(g.rows, rs...)
		}
	}
	if out == "" {
		return errors.New("svg: -o OUT is required")
	}
	return os.WriteFile(out, []byte(drawSVG(title, subtitle, notes, groups)), 0o644)
}

const (
	chartWidth = 960
	labelWidth = 300 // left column: command names
	valueSpace = 150 // right of the longest bar: its value
	rowHeight  = 24
	barHeight  = 16
	groupGap   = 34 // room for a group's heading
	marginTop  = 64
	fontFamily = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
	tarxColor  = "#1f77b4"
	peerColor  = "#9aa5b1"
)

// drawSVG lays out every group's rows as horizontal bars on one common
// time axis starting at zero, so all bars compare directly.
func drawSVG(title, subtitle string, notes []string, groups []group) string {
	maxV := 0.0
	rows := 0
	for _, g := range groups {
		for _, r := range g.rows {
			maxV = math.Max(maxV, math.Max(*r.Median, r.Max))
			rows++
		}
	}
	if maxV <= 0 || math.IsNaN(maxV) {
		maxV = 1
	}
	step := niceStep(maxV / 6)
	axisMax := math.Ceil(maxV/step) * step
	plotX := float64(labelWidth)
	plotW := float64(chartWidth - labelWidth - valueSpace)
	x := func(v float64) float64 { return plotX + v/axisMax*plotW }

	plotTop := marginTop
	height := plotTop + len(groups)*groupGap + rows*rowHeight + 48 + 18*len(notes)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s" font-size="13">`+"\n",
		chartWidth, height, chartWidth, height, fontFamily)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(&b, `<text x="16" y="26" font-size="17" font-weight="bold" fill="#111">%s</text>`+"\n", esc(title))
	fmt.Fprintf(&b, `<text x="16" y="46" fill="#555">%s</text>`+"\n", esc(subtitle))

	plotBottom := height - 42 - 18*len(notes)
	// Vertical grid lines and their labels at the bottom.
	for v := 0.0; v <= axisMax+step/2; v += step {
		gx := x(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e3e6ea"/>`+"\n", gx, plotTop, gx, plotBottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#666" font-size="11">%s</text>`+"\n", gx, plotBottom+14, fmtAxis(v, step))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#666" font-size="11">seconds (median; whiskers: min–max)</text>`+"\n", plotX+plotW/2, plotBottom+28)

	y := plotTop
	for _, g := range groups {
		y += groupGap
		fmt.Fprintf(&b, `<text x="16" y="%d" font-weight="bold" fill="#222">%s</text>`+"\n", y-10, esc(g.title))
		for _, r := range g.rows {
			cy := float64(y) + rowHeight/2.0
			color := peerColor
			if strings.HasPrefix(r.Command, "tarx") {
				color = tarxColor
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle" fill="#222">%s</text>`+"\n",
				plotX-8, cy, esc(shorten(r.Command, 42)))
			w := x(*r.Median) - plotX
			if w < 1 {
				w = 1
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s" rx="2"><title>%s: median %s, min %s, max %s</title></rect>`+"\n",
				plotX, cy-barHeight/2.0, w, barHeight, color, esc(r.Command), fmtSec(*r.Median), fmtSec(r.Min), fmtSec(r.Max))
			if r.Max > r.Min {
				fmt.Fprintf(&b, `<path d="M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fV%.1f" stroke="#333" stroke-width="1" fill="none"/>`+"\n",
					x(r.Min), cy-4, cy+4, x(r.Min), cy, x(r.Max), x(r.Max), cy-4, cy+4)
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" dominant-baseline="middle" fill="#111">%s</text>`+"\n",
				math.Max(x(*r.Median), x(r.Max))+6, cy, fmtSec(*r.Median))
			y += rowHeight
		}
	}
	// Legend.
	ly := plotTop + 4
	lx := chartWidth - 200
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" fill="#333" font-size="12">tarx</text>`+"\n", lx, ly-10, tarxColor, lx+18, ly)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" fill="#333" font-size="12">other tools</text>`+"\n", lx+70, ly-10, peerColor, lx+88, ly)
	for i, n := range notes {
		fmt.Fprintf(&b, `<text x="16" y="%d" fill="#666" font-size="11">%s</text>`+"\n", height-10-18*(len(notes)-1-i), esc(n))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceStep rounds a raw grid step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func fmtAxis(v, step float64) string {
	if step >= 1 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	d := int(math.Ceil(-math.Log10(step)))
	return strconv.FormatFloat(v, 'f', d, 64)
}

func fmtSec(v float64) string {
	switch {
	case math.IsNaN(v):
		return "?"
	case v >= 10:
		return fmt.Sprintf("%.1f s", v)
	case v >= 1:
		return fmt.Sprintf("%.2f s", v)
	default:
		return fmt.Sprintf("%.0f ms", v*1000)
	}
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func esc(s string) string { return html.EscapeString(s) }
