package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestCompletion_Bash sources the bash script and completes a command
// name and a flag through the real binary, as bash would.
func TestCompletion_Bash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	// A "tarx" on PATH that runs the test binary as tarx.
	bin := t.TempDir()
	wrapper := "#!/bin/sh\n" + roleEnv + "=tarx exec " + testarchive.TestBinary(t) + ` "$@"` + "\n"
	if err := os.WriteFile(filepath.Join(bin, "tarx"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	script := mustRun(t, "completion", "bash").stdout
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"tarx", "ext"}, "extract"},
		{[]string{"tarx", "extract", "a.tgz", "--exclude-f"}, "--exclude-from"},
		{[]string{"tarx", "--index", "i", "get", "a.tgz", "--skip-o"}, "--skip-old-files"},
	} {
		prog := script + "COMP_WORDS=(" + strings.Join(tc.words, " ") + ")\nCOMP_CWORD=" +
			itoa(len(tc.words)-1) + "\n_tarx\necho \"${COMPREPLY[*]}\"\n"
		cmd := exec.Command(bash, "--norc", "-c", prog)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != tc.want {
			t.Errorf("completing %q: %q, %v; want %q", tc.words, out, err, tc.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestCompletion_Scripts checks the other scripts, the man page and a
// wrong shell.
func TestCompletion_Scripts(t *testing.T) {
	for shell, want := range map[string]string{"zsh": "--generate-bash-completion", "fish": "complete -c tarx -n '__fish_seen_subcommand_from extract x' -f -l exclude"} {
		if r := mustRun(t, "completion", shell); !strings.Contains(r.stdout, want) {
			t.Errorf("completion %s lacks %q:\n%s", shell, want, r.stdout)
		}
	}
	man := mustRun(t, "man").stdout
	for _, want := range []string{".TH tarx 1", "extract", "--keep-old-files", "--no-progress"} {
		if !strings.Contains(man, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	checkOneLine(t, runTarx(t, "completion", "tcsh"), 2, "completion: unknown shell")
}

// TestVersion checks --version: the version, the commit and the Go
// version.
func TestVersion(t *testing.T) {
	r := mustRun(t, "--version")
	if !strings.HasPrefix(r.stdout, "tarx version ") || !strings.Contains(r.stdout, "(commit ") || !strings.Contains(r.stdout, runtime.Version()) {
		t.Errorf("--version: %q", r.stdout)
	}
}
