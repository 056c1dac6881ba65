package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/quire-research/quire/agent/prompt"
	"github.com/quire-research/quire/ui/tui"
)

type promptsFlags struct {
	json bool
}

func init() {
	var f promptsFlags
	register(&command{
		name: "prompts",
		args: "[flags] [NAME]",
		summary: "List saved prompts (built-ins and *.md files in llm.prompt_dir, which override them by name),\n" +
			"or print one prompt's file, ready to copy into the prompt folder and edit.",
		flags: func(fs *flag.FlagSet) any {
			fs.BoolVar(&f.json, "json", false, "print the prompts as JSON")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runPrompts(e, &f, args) },
	})
}

func runPrompts(e *env, f *promptsFlags, args []string) error {
	lib, loadErr := prompt.Load(e.cfg.LLM.PromptDir)
	if len(args) > 1 {
		return usagef("prompts takes at most one name")
	}
	if len(args) == 1 {
		p, ok := lib.Get(args[0])
		if !ok {
			if loadErr != nil {
				return fmt.Errorf("no prompt %q; some prompt files did not load:\n%v", args[0], loadErr)
			}
			return fmt.Errorf("no prompt %q (have %s)", args[0], strings.Join(lib.Names(), ", "))
		}
		if f.json {
			return writeJSON(e.stdout, p)
		}
		_, err := io.WriteString(e.stdout, p.Source)
		return err
	}
	list := lib.List()
	keys := promptKeySetup(e, list)
	if f.json {
		if err := writeJSON(e.stdout, list); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "%-20s %-6s %-6s %-8s %s\n", "NAME", "MODE", "KEY", "ORIGIN", "DESCRIPTION")
		for _, p := range list {
			origin := "built-in"
			if !p.Builtin {
				origin = "file"
			}
			fmt.Fprintf(e.stdout, "%-20s %-6s %-6s %-8s %s\n", p.Name, p.Mode, keys.PromptKey(p.Name), origin, p.Description)
			if !p.Builtin {
				fmt.Fprintf(e.stdout, "%-20s %s\n", "", p.File)
			}
		}
		fmt.Fprintf(e.stdout, "\nprompt folder: %s (a file there overrides a built-in of the same name)\n", e.cfg.LLM.PromptDir)
		fmt.Fprintf(e.stdout, "In the app a prompt's key follows the prefix (d then p); a key with ctrl/alt or an F-key works alone.\n")
	}
	var errs []error
	if loadErr != nil {
		errs = append(errs, fmt.Errorf("some prompt files did not load:\n%v", loadErr))
	}
	if probs := keys.Problems(); len(probs) > 0 {
		errs = append(errs, fmt.Errorf("key clashes (the app's status line reports them too):\n  %s", strings.Join(probs, "\n  ")))
	}
	return errors.Join(errs...)
}

// promptKeySetup resolves the prompts' keys against the app's keymap, as
// the app does, so both report the same clashes.
func promptKeySetup(e *env, list []*prompt.Prompt) tui.KeySetup {
	infos := make([]tui.PromptInfo, 0, len(list))
	for _, p := range list {
		infos = append(infos, tui.PromptInfo{Name: p.Name, Key: p.Key, Builtin: p.Builtin})
	}
	return tui.SetupKeys(e.cfg.Keys, infos)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
