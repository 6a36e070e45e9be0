package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSpread(t *testing.T) {
	for _, c := range []struct {
		count, n int
		want     []int
	}{
		{10, 5, []int{1, 3, 5, 7, 9}},
		{3, 5, []int{0, 1, 2}},
		{7, 1, []int{6}},
		{0, 3, []int{}},
	} {
		if got := spread(c.count, c.n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("spread(%d, %d) = %v, want %v", c.count, c.n, got, c.want)
		}
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("odd median = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("even median = %v", m)
	}
}

func TestPick(t *testing.T) {
	in := `{"name":"d/","type":"dir","size":0,"offset":0,"data_offset":512}
{"name":"d/a","type":"file","size":5,"offset":512,"data_offset":1024}
{"name":"d/empty","type":"file","size":0,"offset":1536,"data_offset":2048}
{"name":"d/b","type":"file","size":7,"offset":2048,"data_offset":2560}
{"name":"d/l","type":"symlink","size":0,"offset":3072,"data_offset":3584}
`
	var out bytes.Buffer
	if err := cmdPick(&out, strings.NewReader(in), []string{"1"}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "d/b\t7\t2560\t2048\n"; got != want {
		t.Errorf("pick 1 = %q, want %q", got, want)
	}
}

func TestStatsAndSVG(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "h.json")
	doc := `{"results":[{"command":"tarx extract <a>","mean":1.5,"stddev":null,"user":1,"system":0.5,"min":1,"max":2,"times":[1,2]}]}`
	if err := os.WriteFile(js, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cmdStats(&out, []string{js}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "tarx extract <a>\t1.500000\t1.000000\t2.000000\t") {
		t.Errorf("stats = %q", out.String())
	}
	svg := filepath.Join(dir, "c.svg")
	if err := cmdSVG([]string{"-o", svg, "-title", "T & U", "@group", js}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"<svg", "T &amp; U", "tarx extract &lt;a&gt;", "1.50 s", "</svg>"} {
		if !strings.Contains(s, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
}
