// Package agent will hold Quire's LLM providers, retrieval-augmented
// answers, drafts and saved prompts (see the agent issue). It sits between
// search and ui in the one-way flow corpus → search → agent → ui and has no
// code yet.
package agent
