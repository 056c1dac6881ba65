package s3vtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Filter is a parsed metadata filter.
type Filter struct {
	op   string // "and", "or", or a field operator ("$eq", ...)
	key  string // the metadata key of a field operator
	val  any    // its operand
	kids []*Filter
}

// ParseFilter reads a filter document as QueryVectors does, refusing
// unknown operators, operands of the wrong type and keys declared
// non-filterable.
func ParseFilter(raw []byte, nonFilterable []string) (*Filter, error) {
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	return parseFilter(doc, nonFilterable)
}

func parseFilter(doc any, nf []string) (*Filter, error) {
	obj, ok := doc.(map[string]any)
	if !ok || len(obj) == 0 {
		return nil, fmt.Errorf("a filter must be a non-empty object, not %s", show(doc))
	}
	var all []*Filter
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		switch {
		case k == "$and" || k == "$or":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("%s takes a non-empty array of filters", k)
			}
			f := &Filter{op: k[1:]}
			for _, e := range list {
				kid, err := parseFilter(e, nf)
				if err != nil {
					return nil, err
				}
				f.kids = append(f.kids, kid)
			}
			all = append(all, f)
		case strings.HasPrefix(k, "$"):
			return nil, fmt.Errorf("unsupported operator %s", k)
		default:
			if slices.Contains(nf, k) {
				return nil, fmt.Errorf("metadata key %q is non-filterable", k)
			}
			fs, err := parseField(k, v)
			if err != nil {
				return nil, err
			}
			all = append(all, fs...)
		}
	}
	if len(all) == 1 {
		return all[0], nil
	}
	return &Filter{op: "and", kids: all}, nil
}

func parseField(key string, v any) ([]*Filter, error) {
	ops, ok := v.(map[string]any)
	if !ok {
		if !primitive(v) {
			return nil, fmt.Errorf("the value of %q must be a string, number, boolean or an operator object", key)
		}
		return []*Filter{{op: "$eq", key: key, val: v}}, nil
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("empty operator object for %q", key)
	}
	var out []*Filter
	for _, op := range sortedKeys(ops) {
		arg := ops[op]
		switch op {
		case "$eq", "$ne":
			if !primitive(arg) {
				return nil, fmt.Errorf("%s on %q takes a string, number or boolean", op, key)
			}
		case "$gt", "$gte", "$lt", "$lte":
			if _, ok := arg.(float64); !ok {
				return nil, fmt.Errorf("%s on %q takes a number, not %s", op, key, show(arg))
			}
		case "$in", "$nin":
			list, ok := arg.([]any)
			if !ok || len(list) == 0 || !slices.ContainsFunc(list, primitive) || slices.ContainsFunc(list, func(e any) bool { return !primitive(e) }) {
				return nil, fmt.Errorf("%s on %q takes a non-empty array of strings, numbers or booleans", op, key)
			}
		case "$exists":
			if _, ok := arg.(bool); !ok {
				return nil, fmt.Errorf("$exists on %q takes a boolean", key)
			}
		default:
			return nil, fmt.Errorf("unsupported operator %s on %q", op, key)
		}
		out = append(out, &Filter{op: op, key: key, val: arg})
	}
	return out, nil
}

func primitive(v any) bool {
	switch v.(type) {
	case string, float64, bool:
		return true
	}
	return false
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Match evaluates the filter on one vector's metadata.
func (f *Filter) Match(meta map[string]any) bool {
	switch f.op {
	case "and":
		for _, k := range f.kids {
			if !k.Match(meta) {
				return false
			}
		}
		return true
	case "or":
		return slices.ContainsFunc(f.kids, func(k *Filter) bool { return k.Match(meta) })
	}
	v, has := meta[f.key]
	switch f.op {
	case "$exists":
		return has == f.val.(bool)
	case "$ne":
		return !anyElem(v, has, func(e any) bool { return e == f.val })
	case "$nin":
		return !anyElem(v, has, func(e any) bool { return slices.Contains(f.val.([]any), e) })
	case "$eq":
		return anyElem(v, has, func(e any) bool { return e == f.val })
	case "$in":
		return anyElem(v, has, func(e any) bool { return slices.Contains(f.val.([]any), e) })
	}
	bound := f.val.(float64)
	return anyElem(v, has, func(e any) bool {
		x, ok := e.(float64)
		if !ok {
			return false
		}
		switch f.op {
		case "$gt":
			return x > bound
		case "$gte":
			return x >= bound
		case "$lt":
			return x < bound
		}
		return x <= bound
	})
}

// anyElem applies pred to a scalar value or to each element of a list.
func anyElem(v any, has bool, pred func(any) bool) bool {
	if !has {
		return false
	}
	if list, ok := v.([]any); ok {
		return slices.ContainsFunc(list, pred)
	}
	return pred(v)
}
