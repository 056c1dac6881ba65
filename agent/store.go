package agent

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/quire-research/quire/agent/evidence"
	"github.com/quire-research/quire/agent/llm"
)

// Record kinds.
const (
	KindConversation = "conversation"
	KindDraft        = "draft"
)

// Turn is one question and its answer, or one draft.
type Turn struct {
	At         time.Time   `json:"at"`
	Question   string      `json:"question,omitempty"`
	Query      string      `json:"query,omitempty"`
	Basket     []string    `json:"basket,omitempty"`
	Sources    []Source    `json:"sources,omitempty"`
	Answer     string      `json:"answer"`
	Sections   []string    `json:"sections,omitempty"`
	Tools      []ToolEvent `json:"tools,omitempty"`
	Warnings   []string    `json:"warnings,omitempty"`
	Provider   string      `json:"provider"`
	Model      string      `json:"model"`
	Usage      llm.Usage   `json:"usage"`
	CostUSD    float64     `json:"cost_usd"`
	Extractive bool        `json:"extractive,omitempty"`
	// Stopped is true when the run was cancelled: Answer holds what had
	// arrived.
	Stopped bool `json:"stopped,omitempty"`
	// System and Input are the system prompt and the last user message
	// exactly as sent to the model (sources included), so fine-tuning
	// exports never re-render them.
	System string `json:"system,omitempty"`
	Input  string `json:"input,omitempty"`
	// Rating is the user's verdict on Answer: +1, -1 or 0 (unrated).
	Rating int `json:"rating,omitempty"`
	// Edited is the user's rewrite of Answer (the $EDITOR round trip).
	Edited string `json:"edited,omitempty"`
	// Alternatives are earlier generations for the same input, kept when
	// the user regenerates.
	Alternatives []Alternative `json:"alternatives,omitempty"`
}

// Alternative is one earlier generation of a turn's answer.
type Alternative struct {
	At     time.Time `json:"at"`
	Answer string    `json:"answer"`
	Rating int       `json:"rating,omitempty"`
	Edited string    `json:"edited,omitempty"`
}

// Record is a saved conversation (several turns) or draft (one turn).
type Record struct {
	ID      string            `json:"id"`
	Kind    string            `json:"kind"`
	Title   string            `json:"title"`
	Prompt  string            `json:"prompt,omitempty"`
	Vars    map[string]string `json:"vars,omitempty"`
	Created time.Time         `json:"created"`
	Updated time.Time         `json:"updated"`
	Turns   []Turn            `json:"turns"`
}

// Store keeps records as JSON with a markdown export beside each, under
// Dir/conversations and Dir/drafts.
type Store struct {
	Dir string
}

// NewStore uses dataDir (config llm.data_dir).
func NewStore(dataDir string) *Store { return &Store{Dir: dataDir} }

func (s *Store) folder(kind string) string { return filepath.Join(s.Dir, kind+"s") }

// Path is where a record's JSON lives.
func (s *Store) Path(kind, id string) string {
	return filepath.Join(s.folder(kind), id+".json")
}

// Save writes r as JSON and markdown (atomically, by rename) and returns
// the JSON path. A record without an ID gets one.
func (s *Store) Save(r *Record) (string, error) {
	if r.Kind != KindConversation && r.Kind != KindDraft {
		return "", fmt.Errorf("record kind %q", r.Kind)
	}
	if r.ID == "" {
		r.ID = newID(r.Title)
	}
	if err := os.MkdirAll(s.folder(r.Kind), 0o755); err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	path := s.Path(r.Kind, r.ID)
	if err := writeAtomic(path, data); err != nil {
		return "", err
	}
	if err := writeAtomic(strings.TrimSuffix(path, ".json")+".md", []byte(Markdown(r))); err != nil {
		return "", err
	}
	return path, nil
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Load reads a record.
func (s *Store) Load(kind, id string) (*Record, error) {
	if strings.ContainsAny(id, `/\`) || id == "" || id == "." || id == ".." {
		return nil, fmt.Errorf("bad record id %q", id)
	}
	data, err := os.ReadFile(s.Path(kind, id))
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path(kind, id), err)
	}
	return &r, nil
}

// List returns the records of a kind, newest first, without their turns.
func (s *Store) List(kind string) ([]Record, error) {
	entries, err := os.ReadDir(s.folder(kind))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		r, err := s.Load(kind, strings.TrimSuffix(e.Name(), ".json"))
		if err != nil {
			continue
		}
		r.Turns = nil
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	return out, nil
}

func newID(title string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	id := time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
	if s := slug(title, 6); s != "" {
		id += "-" + s
	}
	return id
}

func slug(s string, words int) string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(f) > words {
		f = f[:words]
	}
	out := strings.Join(f, "-")
	if len(out) > 60 {
		out = out[:60]
	}
	return strings.Trim(out, "-")
}

// Markdown exports a record for people: each turn's question and answer,
// then its sources, usage and warnings.
func Markdown(r *Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	if r.Prompt != "" {
		fmt.Fprintf(&b, "_Prompt: %s", r.Prompt)
		if len(r.Vars) > 0 {
			var kv []string
			for k, v := range r.Vars {
				kv = append(kv, k+"="+v)
			}
			sort.Strings(kv)
			fmt.Fprintf(&b, " (%s)", strings.Join(kv, ", "))
		}
		b.WriteString("_\n\n")
	}
	for i, t := range r.Turns {
		if r.Kind == KindConversation {
			fmt.Fprintf(&b, "## %d. %s\n\n", i+1, t.Question)
		}
		if t.Query != "" {
			fmt.Fprintf(&b, "_Query: `%s`_\n\n", t.Query)
		}
		for _, tc := range t.Tools {
			fmt.Fprintf(&b, "> tool `%s` %s\n", tc.Name, string(tc.Input))
		}
		if len(t.Tools) > 0 {
			b.WriteString("\n")
		}
		b.WriteString(strings.TrimSpace(t.Answer))
		b.WriteString("\n\n")
		if t.Stopped {
			b.WriteString("_(stopped before the end)_\n\n")
		}
		for _, w := range t.Warnings {
			fmt.Fprintf(&b, "> warning: %s\n", w)
		}
		if len(t.Warnings) > 0 {
			b.WriteString("\n")
		}
		if len(t.Sources) > 0 {
			b.WriteString(SourcesMarkdown(t.Sources))
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "_%s · %s · %d in / %d out tokens · $%.4f_\n\n", t.Provider, t.Model, t.Usage.InputTokens, t.Usage.OutputTokens, t.CostUSD)
	}
	return b.String()
}

// SourcesMarkdown lists sources as "[n] Title (year) — id".
func SourcesMarkdown(srcs []Source) string {
	return "Sources:\n\n" + evidence.SourceList(srcs)
}

// Rename gives a record a new title.
func (s *Store) Rename(kind, id, title string) error {
	title = strings.TrimSpace(title)
	if title == "" {
		return errors.New("rename: the title is empty")
	}
	r, err := s.Load(kind, id)
	if err != nil {
		return err
	}
	r.Title = title
	_, err = s.Save(r)
	return err
}

// Rate records the user's verdict (+1, -1, or 0 to clear) on a record's
// last turn, for fine-tuning exports.
func (s *Store) Rate(kind, id string, rating int) error {
	if rating < -1 || rating > 1 {
		return fmt.Errorf("rating %d: want -1, 0 or 1", rating)
	}
	r, err := s.Load(kind, id)
	if err != nil {
		return err
	}
	if len(r.Turns) == 0 {
		return fmt.Errorf("%s: no turn to rate", s.Path(kind, id))
	}
	r.Turns[len(r.Turns)-1].Rating = rating
	_, err = s.Save(r)
	return err
}

// KeepEdit stores the user's rewrite of a record's last answer beside the
// original, which stays as generated.
func (s *Store) KeepEdit(kind, id, edited string) error {
	r, err := s.Load(kind, id)
	if err != nil {
		return err
	}
	if len(r.Turns) == 0 {
		return fmt.Errorf("%s: no turn to edit", s.Path(kind, id))
	}
	r.Turns[len(r.Turns)-1].Edited = edited
	_, err = s.Save(r)
	return err
}

// Delete removes a record and its markdown export.
func (s *Store) Delete(kind, id string) error {
	if _, err := s.Load(kind, id); err != nil {
		return err
	}
	path := s.Path(kind, id)
	if err := os.Remove(path); err != nil {
		return err
	}
	if err := os.Remove(strings.TrimSuffix(path, ".json") + ".md"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
