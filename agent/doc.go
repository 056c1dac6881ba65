// Package agent turns retrieval into grounded answers, drafts and tool-using
// investigations. It sits between search and ui in the one-way flow
// corpus → search → agent → ui.
//
// An Agent is built from a search.Engine, an llm.Provider (the offline
// extractive answerer by default; see NewProvider) and the prompt library.
// Ask and Draft return a *Stream of Events that the caller pulls with
// Next/Current/Err/Close, like llm.Stream; the work runs on a goroutine of
// its own, so a TUI can call Next from a tea.Cmd. Close or cancelling the
// context stops it at once; what already arrived stays with the caller, and
// a stopped conversation is still saved (marked stopped).
//
// Events come in this order: Sources (the numbered sources sent; again
// whenever agent-mode tools add some), then Delta text interleaved with
// Section (a draft section starts), ToolCall/ToolResult/Basket (agent mode),
// Warning (an unknown citation, a missing basket paper, a bound reached)
// and Usage (after every model call), then Done.
//
// Sub-packages: llm (the provider seam), evidence (numbered sources, the
// token budget, delimiters and the citation check), extract (the offline
// answerer), prompt (saved prompts) and tools (agent-mode tools).
package agent
