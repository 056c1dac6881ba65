package secret

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const key = "sk-proj-Q9rT2vXw8yZaBcDeFgHiJkLmNoPq"

func TestRedactsPieces(t *testing.T) {
	t.Parallel()
	r := New(key, "", "  ")
	for _, tc := range []struct{ in, want string }{
		{"bad key " + key + ".", "bad key [redacted]."},
		// A server echoing the key cut short, masked, or in pieces.
		{"Incorrect API key provided: " + key[:14] + "****" + key[len(key)-4:], "Incorrect API key provided: [redacted]****" + key[len(key)-4:]},
		{"key ending " + key[len(key)-10:] + " is revoked", "key ending [redacted] is revoked"},
		{"middle " + key[10:20] + " part", "middle [redacted] part"},
		{"Bearer " + key + key, "Bearer [redacted]"},
		{"nothing secret here, not even sk-p", "nothing secret here, not even sk-p"},
		{"", ""},
	} {
		got := r.String(tc.in)
		if got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for n := minRun; n <= len(key); n++ {
			for i := 0; i+n <= len(key); i += 3 {
				if strings.Contains(got, key[i:i+n]) {
					t.Fatalf("%q still holds %q", got, key[i:i+n])
				}
			}
		}
	}
}

func TestShortSecretAndNil(t *testing.T) {
	t.Parallel()
	if got := New("abc").String("x abc y"); got != "x [redacted] y" {
		t.Errorf("short secret: %q", got)
	}
	var r *Redactor
	if got := r.String("sk-123456"); got != "sk-123456" {
		t.Errorf("nil redactor changed text: %q", got)
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	r := New(key)
	plain := errors.New("connection refused")
	if r.Error(plain) != plain {
		t.Error("an error with no secret was replaced")
	}
	err := r.Error(fmt.Errorf("POST: header %q: %w", key[:20], plain))
	if strings.Contains(err.Error(), key[:minRun]) || errors.Unwrap(err) != nil {
		t.Errorf("Error = %q (unwraps %v)", err, errors.Unwrap(err))
	}
}
