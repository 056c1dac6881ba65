// Package finetune turns saved sessions into fine-tuning data: Bedrock's
// conversation JSONL for supervised fine-tuning and distillation, and
// preference pairs for DPO. Prompts are the stored model input, never a
// re-render, so the data matches what the model saw.
package finetune

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/quire-research/quire/agent"
)

// Formats.
const (
	SFT     = "bedrock-sft"
	Distill = "bedrock-distill"
	DPO     = "dpo"
)

// Schema is Bedrock's conversation schema version.
const Schema = "bedrock-conversation-2024"

// Limits bound a dataset. Tokens are estimated as characters/4, an
// overestimate for English prose, so a record that passes fits.
type Limits struct {
	MinRecords int // training records, below which nothing is written
	MaxRecords int // training records kept; the rest are dropped
	MaxVal     int // validation records kept
	MaxTokens  int // per record, prompt and answer together
}

// DefaultLimits are Bedrock's documented limits for the format (Claude 3
// Haiku fine-tuning for SFT; model distillation for prompts). DPO has no
// Bedrock job, so only the token bound applies.
func DefaultLimits(format string) Limits {
	switch format {
	case SFT:
		return Limits{MinRecords: 32, MaxRecords: 10000, MaxVal: 1000, MaxTokens: 32000}
	case Distill:
		return Limits{MinRecords: 100, MaxRecords: 15000, MaxVal: 1000, MaxTokens: 32000}
	}
	return Limits{MinRecords: 1, MaxRecords: 100000, MaxVal: 100000, MaxTokens: 32000}
}

// Options choose what to export.
type Options struct {
	Format    string
	Since     time.Time // turns before this are skipped (zero: all)
	MinRating int       // turns rated below this are skipped
	ValFrac   float64   // share of records for validation, by hash
	Limits    Limits
}

// Drop is a record left out and why.
type Drop struct {
	Source string // record id and turn number
	Reason string
}

// Result says what an export produced.
type Result struct {
	Train, Val [][]byte // JSONL lines
	Drops      []Drop
}

// Text is one content block.
type Text struct {
	Text string `json:"text"`
}

// Message is one conversation message.
type Message struct {
	Role    string `json:"role"`
	Content []Text `json:"content"`
}

// Conversation is a bedrock-conversation-2024 record.
type Conversation struct {
	SchemaVersion string    `json:"schemaVersion"`
	System        []Text    `json:"system,omitempty"`
	Messages      []Message `json:"messages"`
}

// Pair is a DPO preference record.
type Pair struct {
	System   string    `json:"system,omitempty"`
	Prompt   []Message `json:"prompt"`
	Chosen   string    `json:"chosen"`
	Rejected string    `json:"rejected"`
}

type candidate struct {
	source string
	value  any
}

// Build makes the records of recs, validates, deduplicates and splits them.
func Build(recs []agent.Record, opt Options) (Result, error) {
	if opt.Format != SFT && opt.Format != Distill && opt.Format != DPO {
		return Result{}, fmt.Errorf("format %q: want %s, %s or %s", opt.Format, SFT, Distill, DPO)
	}
	if opt.ValFrac < 0 || opt.ValFrac >= 1 {
		return Result{}, fmt.Errorf("validation fraction %v: want 0 <= f < 1", opt.ValFrac)
	}
	if opt.Limits == (Limits{}) {
		opt.Limits = DefaultLimits(opt.Format)
	}
	var res Result
	drop := func(src, why string) { res.Drops = append(res.Drops, Drop{src, why}) }
	var cands []candidate
	for _, r := range recs {
		for i, t := range r.Turns {
			src := fmt.Sprintf("%s turn %d", r.ID, i+1)
			if !opt.Since.IsZero() && t.At.Before(opt.Since) {
				continue // filtered, not dropped
			}
			if why := usable(t); why != "" {
				drop(src, why)
				continue
			}
			prompt := history(r.Turns[:i], t.Input)
			switch opt.Format {
			case SFT, Distill:
				if t.Rating < opt.MinRating {
					continue
				}
				c := Conversation{SchemaVersion: Schema, Messages: prompt}
				if t.System != "" {
					c.System = []Text{{t.System}}
				}
				if opt.Format == SFT {
					c.Messages = append(c.Messages, msg("assistant", final(t)))
				}
				cands = append(cands, candidate{src, c})
			case DPO:
				ps := pairs(t)
				if len(ps) == 0 {
					drop(src, "no preference: needs a rating with an alternative, or an edit")
				}
				for _, p := range ps {
					p.System, p.Prompt = t.System, prompt
					cands = append(cands, candidate{src, p})
				}
			}
		}
	}
	seen := map[[32]byte]string{}
	for _, c := range cands {
		if why := validate(opt.Format, c.value, opt.Limits); why != "" {
			drop(c.source, why)
			continue
		}
		line, err := json.Marshal(c.value)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", c.source, err)
		}
		key := sha256.Sum256(line)
		if first, ok := seen[key]; ok {
			drop(c.source, "duplicate of "+first)
			continue
		}
		seen[key] = c.source
		// The hash decides the split, so a record stays on its side
		// whatever else is exported with it.
		if float64(binary.BigEndian.Uint64(key[:8]))/float64(^uint64(0)) < opt.ValFrac {
			if len(res.Val) >= opt.Limits.MaxVal {
				drop(c.source, fmt.Sprintf("over the %d-record validation limit", opt.Limits.MaxVal))
				continue
			}
			res.Val = append(res.Val, line)
			continue
		}
		if len(res.Train) >= opt.Limits.MaxRecords {
			drop(c.source, fmt.Sprintf("over the %d-record training limit", opt.Limits.MaxRecords))
			continue
		}
		res.Train = append(res.Train, line)
	}
	if len(res.Train) < opt.Limits.MinRecords {
		return res, fmt.Errorf("%d training records, %s needs at least %d; nothing written", len(res.Train), opt.Format, opt.Limits.MinRecords)
	}
	return res, nil
}

// Write puts train.jsonl (and validation.jsonl when there is any) in dir.
func Write(dir string, res Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, lines [][]byte) error {
		path := filepath.Join(dir, name)
		data := append(bytes.Join(lines, []byte("\n")), '\n')
		if err := os.WriteFile(path+".tmp", data, 0o644); err != nil {
			return err
		}
		return os.Rename(path+".tmp", path)
	}
	if err := write("train.jsonl", res.Train); err != nil {
		return err
	}
	if len(res.Val) > 0 {
		return write("validation.jsonl", res.Val)
	}
	return nil
}

func usable(t agent.Turn) string {
	switch {
	case t.Input == "":
		return "no stored model input (saved before inputs were kept)"
	case t.Stopped:
		return "answer was stopped before it finished"
	case t.Extractive:
		return "extractive answer, not written by a model"
	case final(t) == "":
		return "empty answer"
	}
	return ""
}

func final(t agent.Turn) string {
	if t.Edited != "" {
		return t.Edited
	}
	return t.Answer
}

// history is the messages the agent sent: earlier questions and answers
// as-is, then the stored input.
func history(prev []agent.Turn, input string) []Message {
	var out []Message
	for _, p := range prev {
		out = append(out, msg("user", p.Question), msg("assistant", p.Answer))
	}
	return append(out, msg("user", input))
}

func msg(role, text string) Message { return Message{Role: role, Content: []Text{{text}}} }

// pairs are the preferences a turn holds: an edit beats the original (an
// earlier generation's edit beats that generation); a liked answer beats
// unliked alternatives; a liked alternative beats a
// disliked answer.
func pairs(t agent.Turn) []Pair {
	var out []Pair
	if t.Edited != "" && t.Edited != t.Answer {
		out = append(out, Pair{Chosen: t.Edited, Rejected: t.Answer})
	}
	for _, a := range t.Alternatives {
		if a.Edited != "" && a.Edited != a.Answer {
			out = append(out, Pair{Chosen: a.Edited, Rejected: a.Answer})
		}
		switch {
		case t.Rating > 0 && a.Rating <= 0 && a.Answer != final(t):
			out = append(out, Pair{Chosen: final(t), Rejected: a.Answer})
		case t.Rating < 0 && a.Rating > 0:
			out = append(out, Pair{Chosen: a.Answer, Rejected: t.Answer})
		}
	}
	return out
}

func tokens(n int) int { return (n + 3) / 4 }

// validate checks a record against its schema and limits; "" means valid.
func validate(format string, v any, l Limits) string {
	var msgs []Message
	chars := 0
	switch r := v.(type) {
	case Conversation:
		if r.SchemaVersion != Schema {
			return "schemaVersion is not " + Schema
		}
		msgs = r.Messages
		for _, s := range r.System {
			chars += len(s.Text)
		}
	case Pair:
		if r.Chosen == "" || r.Rejected == "" || r.Chosen == r.Rejected {
			return "chosen and rejected must be different and non-empty"
		}
		msgs = r.Prompt
		chars += len(r.System) + len(r.Chosen) + len(r.Rejected)
	}
	if len(msgs) == 0 {
		return "no messages"
	}
	for i, m := range msgs {
		want := "user"
		if i%2 == 1 {
			want = "assistant"
		}
		if m.Role != want {
			return fmt.Sprintf("message %d is %q, roles must alternate starting with user", i+1, m.Role)
		}
		if len(m.Content) == 0 || m.Content[0].Text == "" {
			return fmt.Sprintf("message %d has no text", i+1)
		}
		for _, c := range m.Content {
			chars += len(c.Text)
		}
	}
	last := msgs[len(msgs)-1].Role
	switch {
	case format == SFT && last != "assistant":
		return "last message must be the assistant's"
	case format != SFT && last != "user":
		return "prompt must end with a user message"
	}
	if n := tokens(chars); n > l.MaxTokens {
		return fmt.Sprintf("about %d tokens, over the %d-token limit", n, l.MaxTokens)
	}
	return ""
}
