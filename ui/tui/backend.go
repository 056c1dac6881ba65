package tui

import (
	"context"
	"errors"
	"time"

	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/search"
)

// Backend is everything the app asks of the rest of Quire. Every method
// that can be slow takes a context the UI cancels; the app only ever calls
// them from tea.Cmds, never from Update or View.
type Backend interface {
	Search(ctx context.Context, req search.Request) (*search.Result, error)
	Get(ctx context.Context, id string) (*corpus.Paper, error)
	Stats(ctx context.Context) (*search.Stats, error)
	// Ask answers a question over the current query's results, or over the
	// basket when it is not empty.
	Ask(ctx context.Context, r AskRequest) (Stream, error)
	// Draft writes a document from a saved prompt.
	Draft(ctx context.Context, r DraftRequest) (Stream, error)
	// Prompts lists the saved prompts for the palette. It must be cheap.
	Prompts() []PromptInfo
	// Info names what is behind the backend, for the status bar. Cheap.
	Info() Info
}

// AskRequest is one question.
type AskRequest struct {
	Question string
	// Query is the search bar's text, filters included.
	Query string
	// Basket holds the IDs of the papers the user chose to send first
	// (empty unless the user asked for the basket).
	Basket []string
	// Conversation continues the saved conversation with this ID: its
	// earlier turns are sent as history.
	Conversation string
}

// DraftRequest is one draft from a saved prompt.
type DraftRequest struct {
	Prompt string
	Vars   map[string]string
	Query  string
	Basket []string
	// Regenerate names the saved draft this run replaces; the backend
	// keeps the replaced text as an alternative.
	Regenerate string
}

// PromptInfo describes a saved prompt.
type PromptInfo struct {
	Name        string
	Description string
	// Key, when set, starts the prompt: one character is typed after the
	// prompt prefix (key "p" runs as d then p, from any pane but the search
	// bar); a key with a modifier or an F-key ("ctrl+r", "f5") works alone,
	// everywhere. SetupKeys reports keys that clash.
	Key string
	// Builtin is set for the prompts shipped in the binary: on a key clash
	// a prompt file wins over a built-in.
	Builtin bool
	// Mode is the prompt's mode ("draft", "ask", ...), shown in the palette.
	Mode string
	// Workflow is set for a prompt with steps: Draft runs the whole
	// workflow, streaming its progress, and writes its documents to files.
	Workflow bool
	// Vars are the names of the variables the prompt asks for, in order;
	// the app asks for each before it starts.
	Vars []string
	// Variables describe Vars (when the backend knows more than names):
	// the input shows each one's description and default.
	Variables []VarInfo
}

// VarInfo describes one prompt variable. Empty input sends "", which the
// backend fills with Default, as `quire draft --var name=` does.
type VarInfo struct {
	Name, Description, Default string
	Required                   bool
}

// Info names the parts behind a backend.
type Info struct {
	Engine   string // "embedded", ...
	Embedder string // "local", "openai", "none", ...
	Provider string // LLM provider: "extractive", "openai", "bedrock"
	Model    string
	Mode     string // search mode: "hybrid", "bm25", "vector"
}

// Stream is a pull-based run of events, like agent.Stream. Next blocks until
// the next event and returns false at the end, on error or after Close.
// The app calls Next from a tea.Cmd, one call at a time, and Close when
// the user cancels.
type Stream interface {
	Next() bool
	Current() Event
	Err() error
	Close() error
}

// EventKind says which fields of an Event are set.
type EventKind int

const (
	// EventSources: Sources holds every source sent so far, numbered.
	EventSources EventKind = iota + 1
	// EventDelta: Text is the next piece of the answer or draft.
	EventDelta
	// EventSection: Section (or Text) titles the draft section that starts;
	// its "## " heading arrives in the text, so the event only marks it.
	EventSection
	// EventToolCall: Text describes a call the model made.
	EventToolCall
	// EventToolResult: Text summarises a call's result.
	EventToolResult
	// EventUsage: Usage holds the tokens and cost of the run so far.
	EventUsage
	// EventWarning: Text says what is wrong.
	EventWarning
	// EventDone ends the run; ID names the saved conversation or draft.
	EventDone
	// EventBasket: Basket holds the whole basket after an agent's tool
	// added papers to it.
	EventBasket
	// EventRetry: Retry says the provider refused for now and when the
	// request is tried again.
	EventRetry
	// EventApproval: Approval is a tool call waiting for the user.
	EventApproval
)

func (k EventKind) String() string {
	switch k {
	case EventSources:
		return "sources"
	case EventDelta:
		return "delta"
	case EventSection:
		return "section"
	case EventToolCall:
		return "tool_call"
	case EventToolResult:
		return "tool_result"
	case EventUsage:
		return "usage"
	case EventWarning:
		return "warning"
	case EventDone:
		return "done"
	case EventBasket:
		return "basket"
	case EventRetry:
		return "retry"
	case EventApproval:
		return "approval"
	}
	return "unknown"
}

// Event is one item of a Stream.
type Event struct {
	Kind    EventKind
	Text    string
	Sources []Source
	Section string
	Usage   Usage
	// ID is set on EventDone when the run was saved.
	ID     string
	Basket []string
	Retry  *Retry
	// Tool is set on EventToolCall and EventToolResult (Text too, in short).
	Tool *ToolCall
	// Approval is set on EventApproval.
	Approval *Approval
}

// Retry is one retry of a provider request.
type Retry struct {
	Attempt, Max int           // the attempt about to be made, of Max
	Wait         time.Duration // before it
	Reason       string        // "429 Too Many Requests", "503 Service Unavailable", ...
}

// Source is a numbered paper an answer may cite as [N].
type Source struct {
	N     int
	ID    string
	Title string
	Year  int
	// Basket is set for papers that came from the user's basket.
	Basket bool
	// Section and Page/PageEnd say where the passage sent comes from.
	Section string `json:",omitempty"`
	Page    int    `json:",omitempty"`
	PageEnd int    `json:",omitempty"`
	// Start and End are the passage's byte offsets in the paper's full
	// text (End > Start), where the reader opens the citation.
	Start int `json:",omitempty"`
	End   int `json:",omitempty"`
}

// Usage is token counts and cost. The app adds the Usage of each run's
// last EventUsage to its session total.
type Usage struct {
	In, Out int
	CostUSD float64
}

// ErrNoAnswerer is returned by EngineBackend's Ask and Draft.
var ErrNoAnswerer = errors.New("no answerer configured: answers and drafts need an LLM provider (set llm.provider, e.g. \"extractive\" for offline answers)")

// EngineBackend serves search from a search.Engine; Ask and Draft fail with
// ErrNoAnswerer until an agent is wired in.
type EngineBackend struct {
	Engine search.Engine
	About  Info
	// PromptList is returned by Prompts.
	PromptList []PromptInfo
	// Watch, when set, tells the app of papers another process commits
	// while it is open (see IndexWatcher).
	Watch IndexWatcher
}

// IndexWatcher returns Watch: backends built on an EngineBackend offer it
// without implementing IndexWatcher themselves.
func (b *EngineBackend) IndexWatcher() IndexWatcher { return b.Watch }

var _ Backend = (*EngineBackend)(nil)

func (b *EngineBackend) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	return b.Engine.Search(ctx, req)
}

func (b *EngineBackend) Get(ctx context.Context, id string) (*corpus.Paper, error) {
	return b.Engine.Get(ctx, id)
}

func (b *EngineBackend) Stats(ctx context.Context) (*search.Stats, error) {
	return b.Engine.Stats(ctx)
}

func (b *EngineBackend) Ask(context.Context, AskRequest) (Stream, error) { return nil, ErrNoAnswerer }

func (b *EngineBackend) Draft(context.Context, DraftRequest) (Stream, error) {
	return nil, ErrNoAnswerer
}

func (b *EngineBackend) Prompts() []PromptInfo { return b.PromptList }

func (b *EngineBackend) Info() Info { return b.About }
