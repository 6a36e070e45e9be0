package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		ArgsUsage: "bash|zsh|fish",
		Description: "The bash and zsh scripts ask tarx itself for the commands and flags that fit\n" +
			"(urfave/cli's --generate-bash-completion); the fish script is generated from the\n" +
			"command definitions.\n\nExamples:\n   source <(tarx completion bash)\n" +
			"   tarx completion zsh > \"${fpath[1]}/_tarx\"\n   tarx completion fish > ~/.config/fish/completions/tarx.fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("completion: name one shell: bash, zsh or fish")
			}
			return printCompletion(c.App, c.Args().First(), c.App.Writer)
		},
	}
}

// printCompletion writes the completion script for shell.
func printCompletion(app *cli.App, shell string, w io.Writer) error {
	switch shell {
	case "bash":
		_, err := io.WriteString(w, bashCompletion)
		return err
	case "zsh":
		_, err := io.WriteString(w, zshCompletion)
		return err
	case "fish":
		s, err := app.ToFishCompletion()
		if err != nil {
			return fmt.Errorf("completion: %w", err)
		}
		_, err = io.WriteString(w, s)
		return err
	}
	return usagef("completion: unknown shell %q (bash, zsh or fish)", shell)
}

// bashCompletion completes from what "tarx ARGS --generate-bash-completion"
// prints: commands, or the flags of the command when the word starts with
// "-"; file names otherwise (-o default).
const bashCompletion = `# bash completion for tarx: source <(tarx completion bash)
_tarx() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	[[ $cur == -* ]] && words+=("$cur")
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("${words[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _tarx tarx
`

// zshCompletion does what bashCompletion does, for zsh.
const zshCompletion = `#compdef tarx
# zsh completion for tarx: tarx completion zsh > "${fpath[1]}/_tarx"
_tarx() {
	local -a opts
	local cur=${words[CURRENT]}
	local -a req=("${(@)words[1,CURRENT-1]}")
	[[ $cur == -* ]] && req+=("$cur")
	opts=("${(@f)$("${req[@]}" --generate-bash-completion 2>/dev/null)}")
	if [[ ${#opts} -gt 0 && -n ${opts[1]} ]]; then
		compadd -a opts
	else
		_files
	fi
}
compdef _tarx tarx
`

// manCommand prints the manual page (printMan: cmd_man.go).
func manCommand() *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "print the manual page (troff), generated from the command definitions",
		Hidden: true,
		Action: printMan,
	}
}
