package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// EnvPrefix starts every environment variable Quire reads.
const EnvPrefix = "QUIRE_"

// setting is one leaf of Config found through its struct tags, so the file
// keys, variable names and error messages cannot drift apart.
type setting struct {
	key string        // TOML key with its table, e.g. "search.limit"
	env string        // full variable name, or "" when it has none
	val reflect.Value // the addressable field
}

// settings lists c's leaves in declaration order, pointing into c.
func settings(c *Config) []setting {
	return walk(reflect.ValueOf(c).Elem(), "", nil)
}

func walk(v reflect.Value, prefix string, out []setting) []setting {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		if f.Type.Kind() == reflect.Struct {
			out = walk(v.Field(i), key+".", out)
			continue
		}
		s := setting{key: key, val: v.Field(i)}
		if e := f.Tag.Get("env"); e != "" {
			s.env = EnvPrefix + e
		}
		out = append(out, s)
	}
	return out
}

// envName returns the variable for a key, or "" when it has none.
func envName(key string) string {
	var c Config
	for _, s := range settings(&c) {
		if s.key == key {
			return s.env
		}
	}
	return ""
}

// set parses raw into the field by its kind.
func (s setting) set(raw string) error {
	switch s.val.Kind() {
	case reflect.String:
		s.val.SetString(raw)
	case reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		s.val.SetInt(int64(n))
	case reflect.Float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", raw)
		}
		s.val.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
		s.val.SetBool(b)
	default:
		// Only reachable if someone tags a map or slice with env; the
		// settings test catches that.
		return fmt.Errorf("cannot be set from the environment (%s)", s.val.Kind())
	}
	return nil
}

// applyEnv overrides c with every non-empty QUIRE_* variable. It returns the
// keys it set, mapped to their variable, so later errors can name it.
// An empty variable counts as unset, as shells make the two hard to tell apart.
func applyEnv(c *Config, env func(string) string) (map[string]string, []*Error) {
	set := make(map[string]string)
	var errs []*Error
	for _, s := range settings(c) {
		if s.env == "" {
			continue
		}
		raw := strings.TrimSpace(env(s.env))
		if raw == "" {
			continue
		}
		if err := s.set(raw); err != nil {
			errs = append(errs, &Error{Source: s.env, Key: s.key, Err: err})
			continue
		}
		set[s.key] = s.env
	}
	return set, errs
}
