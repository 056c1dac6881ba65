package kbtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// node is a RetrievalFilter as the service reads it: exactly one
// operator per object, andAll/orAll with 2 to 5 members.
type node struct {
	op    string
	key   string
	value any
	kids  []*node
}

var attrOps = []string{"equals", "notEquals", "greaterThan", "greaterThanOrEquals", "lessThan",
	"lessThanOrEquals", "in", "notIn", "startsWith", "listContains", "stringContains"}

func parseFilter(raw json.RawMessage) (*node, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	if len(obj) != 1 {
		return nil, fmt.Errorf("a RetrievalFilter sets exactly one member, got %d", len(obj))
	}
	for op, v := range obj {
		switch {
		case op == "andAll" || op == "orAll":
			var list []json.RawMessage
			if err := json.Unmarshal(v, &list); err != nil {
				return nil, fmt.Errorf("%s: %v", op, err)
			}
			if len(list) < 2 || len(list) > 5 {
				return nil, fmt.Errorf("%s has %d members; it takes 2 to 5", op, len(list))
			}
			n := &node{op: op}
			for _, m := range list {
				k, err := parseFilter(m)
				if err != nil {
					return nil, err
				}
				n.kids = append(n.kids, k)
			}
			return n, nil
		case slices.Contains(attrOps, op):
			var a struct {
				Key   *string `json:"key"`
				Value any     `json:"value"`
			}
			if err := json.Unmarshal(v, &a); err != nil {
				return nil, fmt.Errorf("%s: %v", op, err)
			}
			if a.Key == nil || *a.Key == "" || len(*a.Key) > 100 {
				return nil, fmt.Errorf("%s: key must have length between 1 and 100", op)
			}
			if a.Value == nil {
				return nil, fmt.Errorf("%s: value is required", op)
			}
			_, isList := a.Value.([]any)
			if (op == "in" || op == "notIn") != isList {
				return nil, fmt.Errorf("%s: value must be a list for in and notIn, and only for them", op)
			}
			return &node{op: op, key: *a.Key, value: a.Value}, nil
		default:
			return nil, fmt.Errorf("unknown filter operator %q", op)
		}
	}
	return nil, errors.New("unreachable")
}

// match evaluates the filter on one passage's metadata. A missing key
// fails every comparison but notEquals and notIn.
func (n *node) match(md map[string]any) bool {
	switch n.op {
	case "andAll":
		for _, k := range n.kids {
			if !k.match(md) {
				return false
			}
		}
		return true
	case "orAll":
		for _, k := range n.kids {
			if k.match(md) {
				return true
			}
		}
		return false
	}
	have, ok := md[n.key]
	if hs, isStrs := have.([]string); isStrs {
		var l []any
		for _, s := range hs {
			l = append(l, s)
		}
		have = l
	}
	switch n.op {
	case "equals":
		return ok && same(have, n.value)
	case "notEquals":
		return !ok || !same(have, n.value)
	case "in":
		return ok && slices.ContainsFunc(n.value.([]any), func(v any) bool { return same(have, v) })
	case "notIn":
		return !ok || !slices.ContainsFunc(n.value.([]any), func(v any) bool { return same(have, v) })
	case "greaterThan", "greaterThanOrEquals", "lessThan", "lessThanOrEquals":
		a, aok := num(have)
		b, bok := num(n.value)
		if !ok || !aok || !bok {
			return false
		}
		switch n.op {
		case "greaterThan":
			return a > b
		case "greaterThanOrEquals":
			return a >= b
		case "lessThan":
			return a < b
		}
		return a <= b
	case "startsWith", "stringContains":
		sub, isStr := n.value.(string)
		if !ok || !isStr {
			return false
		}
		test := func(s string) bool {
			if n.op == "startsWith" {
				return strings.HasPrefix(s, sub)
			}
			return strings.Contains(s, sub)
		}
		switch h := have.(type) {
		case string:
			return test(h)
		case []any:
			return slices.ContainsFunc(h, func(v any) bool { s, ok := v.(string); return ok && test(s) })
		}
		return false
	case "listContains":
		l, isList := have.([]any)
		return ok && isList && slices.ContainsFunc(l, func(v any) bool { return same(v, n.value) })
	}
	return false
}

func same(a, b any) bool {
	if x, ok := num(a); ok {
		y, ok := num(b)
		return ok && x == y
	}
	sa, ok1 := a.(string)
	sb, ok2 := b.(string)
	if ok1 && ok2 {
		return sa == sb
	}
	ba, ok1 := a.(bool)
	bb, ok2 := b.(bool)
	return ok1 && ok2 && ba == bb
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}
