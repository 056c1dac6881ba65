// Package secret keeps configured secrets (API keys, AWS secret keys and
// tokens) out of errors and logs. Servers echo keys back in error bodies,
// often in part ("Incorrect API key provided: sk-proj-abc1****"), so
// replacing the exact key is not enough: any run of text that is a piece
// of a secret (a prefix, a suffix or a middle) long enough to matter is
// replaced. Every remote provider formats outside text through one
// Redactor.
package secret

import (
	"errors"
	"strings"
)

// Placeholder replaces each redacted run.
const Placeholder = "[redacted]"

// minRun is the shortest piece of a secret that is redacted. Shorter runs
// match ordinary text by chance, and the last four characters of a key
// are what OpenAI itself shows to identify it.
const minRun = 6

// Redactor removes secrets from text. The zero value and nil redact
// nothing. It is safe for concurrent use.
type Redactor struct {
	secrets []string
}

// New returns a Redactor for the given secrets; empty ones are ignored,
// and each is matched by pieces of at least min(6, its length) bytes.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

// String returns s with every piece of a secret replaced by Placeholder.
func (r *Redactor) String(s string) string {
	if r == nil || len(r.secrets) == 0 || s == "" {
		return s
	}
	var mask []bool // bytes of s that belong to a piece of a secret
	for _, sec := range r.secrets {
		need := min(minRun, len(sec))
		for i := 0; i+need <= len(s); i++ {
			// The longest piece of sec starting at s[i].
			best := 0
			for j := 0; j+need <= len(sec); j++ {
				if s[i] != sec[j] {
					continue
				}
				k := 1
				for i+k < len(s) && j+k < len(sec) && s[i+k] == sec[j+k] {
					k++
				}
				best = max(best, k)
			}
			if best >= need {
				if mask == nil {
					mask = make([]bool, len(s))
				}
				for k := i; k < i+best; k++ {
					mask[k] = true
				}
			}
		}
	}
	if mask == nil {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if !mask[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(Placeholder)
		for i < len(s) && mask[i] {
			i++
		}
	}
	return b.String()
}

// Error returns err unchanged when its text holds no secret; otherwise an
// error with the redacted text. The original chain is dropped, so no
// wrapped cause can print the secret later.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := r.String(msg); red != msg {
		return errors.New(red)
	}
	return err
}
