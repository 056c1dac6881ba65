package tools

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	echo := Tool{Name: "echo", Description: "echo", Schema: json.RawMessage(`{"type":"object"}`),
		Call: func(ctx context.Context, in json.RawMessage) (string, error) { return string(in), nil }}
	r, err := NewRegistry(echo)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Register(echo); err == nil {
		t.Error("duplicate accepted")
	}
	if err := r.Register(Tool{Name: "bad", Schema: json.RawMessage(`[]`), Call: echo.Call}); err == nil {
		t.Error("non-object schema accepted")
	}
	if out, err := r.Call(context.Background(), "echo", nil); err != nil || out != "{}" {
		t.Errorf("%q %v", out, err)
	}
	if _, err := r.Call(context.Background(), "nope", nil); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown: %v", err)
	}
	if l := r.LLM(); len(l) != 1 || l[0].Name != "echo" {
		t.Errorf("%+v", l)
	}
}

func TestQuireToolsHaveValidSchemasAndRejectUnknownFields(t *testing.T) {
	r, err := NewRegistry(Quire(Env{Basket: NewBasket()})...)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tools()) != 4 {
		t.Fatalf("%d tools", len(r.Tools()))
	}
	_, err = r.Call(context.Background(), SearchPapers, json.RawMessage(`{"q":"typo"}`))
	if err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("unknown field: %v", err)
	}
	b := NewBasket("a", "a", "b")
	if ids := b.IDs(); len(ids) != 2 || b.Add("b") {
		t.Errorf("basket %v", ids)
	}
}
