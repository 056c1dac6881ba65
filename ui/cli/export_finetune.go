package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/quire-research/quire/agent"
	"github.com/quire-research/quire/agent/finetune"
)

type exportFlags struct {
	format    string
	since     string
	minRating int
	valFrac   float64
	out       string
}

func init() {
	var f exportFlags
	register(&command{
		name: "export",
		args: "finetune --format bedrock-sft|bedrock-distill|dpo [--since DATE] [--min-rating N] --out DIR",
		summary: "Export saved conversations and drafts as fine-tuning data (train.jsonl, validation.jsonl).\n" +
			"Records are validated against the format's schema and limits; every dropped record is listed with its reason.",
		flags: func(fs *flag.FlagSet) any {
			fs.StringVar(&f.format, "format", "", "bedrock-sft, bedrock-distill or dpo")
			fs.StringVar(&f.since, "since", "", "only turns on or after this date (YYYY-MM-DD)")
			fs.IntVar(&f.minRating, "min-rating", 0, "only turns rated at least this (+1 liked, -1 disliked, 0 unrated)")
			fs.Float64Var(&f.valFrac, "val", 0.1, "share of records for validation.jsonl, chosen by content hash")
			fs.StringVar(&f.out, "out", "", "directory to write train.jsonl and validation.jsonl")
			return &f
		},
		run: func(e *env, fs *flag.FlagSet, args []string) error { return runExport(e, fs, &f, args) },
	})
}

func runExport(e *env, fs *flag.FlagSet, f *exportFlags, args []string) error {
	if len(args) == 0 || args[0] != "finetune" {
		return usagef("export needs a kind: quire export finetune --format bedrock-sft --out DIR")
	}
	// Flags may follow the kind.
	if err := fs.Parse(args[1:]); err != nil {
		return asUsage(err)
	}
	if fs.NArg() > 0 {
		return usagef("export finetune: unexpected argument %q", fs.Arg(0))
	}
	if f.out == "" {
		return usagef("export finetune needs --out DIR")
	}
	opt := finetune.Options{Format: f.format, MinRating: f.minRating, ValFrac: f.valFrac}
	if f.since != "" {
		t, err := time.Parse("2006-01-02", f.since)
		if err != nil {
			return usagef("--since %q: want a date like 2026-11-30", f.since)
		}
		opt.Since = t
	}
	if e.cfg.LLM.DataDir == "" {
		return fmt.Errorf("llm.data_dir is not set, so there are no saved sessions to export")
	}
	st := agent.NewStore(e.cfg.LLM.DataDir)
	var recs []agent.Record
	for _, kind := range []string{agent.KindConversation, agent.KindDraft} {
		list, err := st.List(kind)
		if err != nil {
			return err
		}
		for _, r := range list {
			full, err := st.Load(kind, r.ID)
			if err != nil {
				return err
			}
			recs = append(recs, *full)
		}
	}
	res, err := finetune.Build(recs, opt)
	for _, d := range res.Drops {
		fmt.Fprintf(e.stderr, "dropped %s: %s\n", d.Source, d.Reason)
	}
	if err != nil {
		return err
	}
	if err := finetune.Write(f.out, res); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d training, %d validation records in %s; %d dropped\n", f.format, len(res.Train), len(res.Val), f.out, len(res.Drops))
	return nil
}
