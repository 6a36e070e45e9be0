// Command benchspan prints the compressed byte range that reading a member
// of an indexed archive may touch (index.Archive.Span), as "FROM TO": the
// bound scripts/bench-remote.sh holds a remote get's bytes fetched to.
//
//	benchspan ARCHIVE MEMBER
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/tarx-dev/tarx/index"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: benchspan ARCHIVE MEMBER")
		os.Exit(2)
	}
	a, err := index.Open(context.Background(), os.Args[1], index.Options{NoBuild: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchspan:", err)
		os.Exit(1)
	}
	defer a.Close()
	m, err := a.Lookup(os.Args[2])
	if err == nil {
		var from, to int64
		if from, to, err = a.Span(m); err == nil {
			fmt.Println(from, to)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "benchspan:", err)
	os.Exit(1)
}
