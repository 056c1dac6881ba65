package agent

import (
	"sort"
	"sync"

	"github.com/quire-research/quire/agent/llm"
)

// Prices are US dollars per million tokens.
type Prices struct {
	Input  float64 `json:"input"`
	Output float64 `json:"output"`
}

// Cost is what u costs at p.
func (p Prices) Cost(u llm.Usage) float64 {
	return (float64(u.InputTokens)*p.Input + float64(u.OutputTokens)*p.Output) / 1e6
}

// Tally is the usage of one provider and model.
type Tally struct {
	Provider string    `json:"provider"`
	Model    string    `json:"model"`
	Calls    int       `json:"calls"`
	Usage    llm.Usage `json:"usage"`
	CostUSD  float64   `json:"cost_usd"`
}

// Ledger counts tokens and cost per provider and model over a session. It
// is safe for concurrent use.
type Ledger struct {
	mu     sync.Mutex
	byKey  map[string]*Tally
	total  llm.Usage
	cost   float64
	prices map[string]Prices
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{byKey: map[string]*Tally{}, prices: map[string]Prices{}} }

// SetPrices sets the prices of a provider's calls ("" model: every model).
func (l *Ledger) SetPrices(provider, model string, p Prices) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prices[provider+"\x00"+model] = p
}

func (l *Ledger) priceOf(provider, model string) Prices {
	if p, ok := l.prices[provider+"\x00"+model]; ok {
		return p
	}
	return l.prices[provider+"\x00"]
}

// Record adds one call and returns its Usage report with session totals.
func (l *Ledger) Record(provider, model string, u llm.Usage) Usage {
	l.mu.Lock()
	defer l.mu.Unlock()
	cost := l.priceOf(provider, model).Cost(u)
	key := provider + "\x00" + model
	t := l.byKey[key]
	if t == nil {
		t = &Tally{Provider: provider, Model: model}
		l.byKey[key] = t
	}
	t.Calls++
	t.Usage = t.Usage.Add(u)
	t.CostUSD += cost
	l.total = l.total.Add(u)
	l.cost += cost
	return Usage{Provider: provider, Model: model, Call: u, CostUSD: cost, Session: l.total, SessionCostUSD: l.cost}
}

// Tallies lists usage per provider and model, sorted.
func (l *Ledger) Tallies() []Tally {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Tally
	for _, t := range l.byKey {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Model < out[j].Model
	})
	return out
}

// Total is the session's usage and cost.
func (l *Ledger) Total() (llm.Usage, float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.cost
}
