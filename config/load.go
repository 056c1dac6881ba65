package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/quire-research/quire/config/suggest"
)

// Load applies defaults, then the TOML file at path, then QUIRE_* variables
// read through env, and checks the result (except the directories, which a
// flag may still supply: call Validate after parsing flags).
//
// An empty path means the XDG default file, which may be missing; a path
// given explicitly must exist. A nil env reads the process environment.
// Errors are *Error values (joined when there are several) naming the file
// and line or the variable; the Config returned with an error is not
// meaningful.
func Load(path string, env func(string) string) (Config, error) {
	if env == nil {
		env = os.Getenv
	}
	c := Default()
	file, err := readFile(path, env)
	if err != nil {
		return c, err
	}
	var fileKeys map[string]int
	if file != nil {
		if fileKeys, err = c.decode(file); err != nil {
			return c, err
		}
		c.File = file.path
		c.anchorDirs(filepath.Dir(file.path))
	}
	envKeys, errs := applyEnv(&c, env)
	if errs != nil {
		return c, joinErrors(errs)
	}
	c.resolveDirs(env)
	errs = c.problems(false)
	for _, e := range errs {
		e.Source, e.Line = origin(e.Key, c.File, fileKeys, envKeys)
	}
	return c, joinErrors(errs)
}

// ConfigPathFromArgs finds --config FILE (or -config, or =FILE) in args,
// falling back to QUIRE_CONFIG. It returns "" when neither names a file. It
// runs before flags are parsed because the file decides the flags' defaults;
// it stops at "--" like the flag package. The last occurrence wins.
func ConfigPathFromArgs(args []string, env func(string) string) string {
	path := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "config" {
			continue
		}
		switch {
		case hasValue:
			path = value
		case i+1 < len(args):
			i++
			path = args[i]
		}
	}
	if path == "" && env != nil {
		path = env(EnvPrefix + "CONFIG")
	}
	return path
}

// DefaultFile is the configuration file used when none is named:
// $XDG_CONFIG_HOME/quire/config.toml, else ~/.config/quire/config.toml.
// It is "" when neither XDG_CONFIG_HOME nor HOME is set.
func DefaultFile(env func(string) string) string {
	dir := xdgDir(env, "XDG_CONFIG_HOME", ".config")
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "quire", "config.toml")
}

// xdgDir follows the XDG base directory spec: the variable if it holds an
// absolute path (relative values must be ignored), else $HOME/fallback.
func xdgDir(env func(string) string, variable, fallback string) string {
	if d := env(variable); filepath.IsAbs(d) {
		return d
	}
	home := env("HOME")
	if home == "" {
		return ""
	}
	return filepath.Join(home, fallback)
}

// resolveDirs fills directories nobody set from XDG and expands a leading ~.
func (c *Config) resolveDirs(env func(string) string) {
	if c.Index == "" {
		if d := xdgDir(env, "XDG_DATA_HOME", filepath.Join(".local", "share")); d != "" {
			c.Index = filepath.Join(d, "quire", "index")
		}
	}
	if c.CacheDir == "" {
		if d := xdgDir(env, "XDG_CACHE_HOME", ".cache"); d != "" {
			c.CacheDir = filepath.Join(d, "quire")
		}
	}
	if c.LLM.PromptDir == "" {
		if d := xdgDir(env, "XDG_CONFIG_HOME", ".config"); d != "" {
			c.LLM.PromptDir = filepath.Join(d, "quire", "prompts")
		}
	}
	if c.LLM.DataDir == "" {
		if d := xdgDir(env, "XDG_DATA_HOME", filepath.Join(".local", "share")); d != "" {
			c.LLM.DataDir = filepath.Join(d, "quire")
		}
	}
	for _, p := range []*string{&c.Index, &c.CacheDir, &c.LLM.PromptDir, &c.LLM.DataDir, &c.Embed.Model} {
		*p = expandHome(*p, env)
	}
}

// anchorDirs makes relative directories from the file relative to the
// file's own directory, so the file means the same from any working
// directory. Values from the environment and flags stay relative to the
// working directory, as a shell user expects.
func (c *Config) anchorDirs(dir string) {
	for _, p := range []*string{&c.Index, &c.CacheDir, &c.LLM.PromptDir, &c.LLM.DataDir} {
		if *p != "" && !filepath.IsAbs(*p) && *p != "~" && !strings.HasPrefix(*p, "~/") {
			*p = filepath.Join(dir, *p)
		}
	}
}

// expandHome turns "~" and "~/x" into paths under $HOME; a file written by
// hand often uses them and the shell is not there to expand them.
func expandHome(p string, env func(string) string) string {
	home := env("HOME")
	if home == "" {
		return p
	}
	if p == "~" {
		return home
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		return filepath.Join(home, rest)
	}
	return p
}

type configFile struct {
	path string
	data string
}

// readFile returns nil, nil when path is empty and the default file does
// not exist: running without a configuration file is normal.
func readFile(path string, env func(string) string) (*configFile, error) {
	explicit := path != ""
	if !explicit {
		path = DefaultFile(env)
		if path == "" {
			return nil, nil
		}
	}
	path = expandHome(path, env)
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in Source
		}
		return nil, &Error{Source: path, Err: fmt.Errorf("cannot read config file: %w", err)}
	}
	return &configFile{path: path, data: string(data)}, nil
}

// decode applies the file over c and returns the line of every key it set.
// Unknown keys are errors: a typo would otherwise be silently ignored.
func (c *Config) decode(f *configFile) (map[string]int, error) {
	md, err := toml.Decode(f.data, c)
	if err != nil {
		return nil, decodeError(f, err)
	}
	lines := keyLines(f.data)
	var errs []*Error
	reported := make(map[string]bool)
	for _, k := range md.Undecoded() {
		if underReported(k, reported) {
			continue // [foo] was reported; its keys add nothing
		}
		reported[k.String()] = true
		msg := "unknown key"
		if s := nearestSetting(k.String()); s != "" {
			msg += " (did you mean " + s + "?)"
		}
		errs = append(errs, &Error{Source: f.path, Line: lines[k.String()], Key: k.String(), Err: errors.New(msg)})
	}
	return lines, joinErrors(errs)
}

func underReported(k toml.Key, reported map[string]bool) bool {
	for i := 1; i < len(k); i++ {
		if reported[k[:i].String()] {
			return true
		}
	}
	return false
}

// typeErr matches the one decode error BurntSushi/toml returns as plain text
// rather than a ParseError, so it can be reported like the others.
var typeErr = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "((?:[^"\\]|\\.)*)"\): (?:incompatible types: TOML value has type (\S+); destination has type (\S+)|(.*))$`)

func decodeError(f *configFile, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{Source: f.path, Line: pe.Position.Line, Key: pe.LastKey, Err: errors.New(pe.Message)}
	}
	m := typeErr.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{Source: f.path, Err: err}
	}
	line, _ := strconv.Atoi(m[1])
	key, uerr := strconv.Unquote(`"` + m[2] + `"`)
	if uerr != nil {
		key = m[2]
	}
	msg := m[5]
	if m[3] != "" {
		msg = fmt.Sprintf("wrong type: want %s, got %s", m[4], tomlType(m[3]))
	}
	return &Error{Source: f.path, Line: line, Key: key, Err: errors.New(msg)}
}

// tomlType names a decoded value's Go type the way the file spells it.
func tomlType(goType string) string {
	switch {
	case goType == "int64":
		return "integer"
	case goType == "float64":
		return "float"
	case goType == "bool":
		return "boolean"
	case strings.HasPrefix(goType, "[]"):
		return "array"
	case strings.HasPrefix(goType, "map["):
		return "table"
	case strings.HasPrefix(goType, "time."):
		return "date-time"
	}
	return goType
}

// origin says where a key's value came from, for validation errors.
func origin(key, file string, fileKeys map[string]int, envKeys map[string]string) (string, int) {
	if v, ok := envKeys[key]; ok {
		return v, 0
	}
	if line, ok := fileKeys[key]; ok {
		return file, line
	}
	// Map settings are validated as a whole but set entry by entry.
	for k, line := range fileKeys {
		if strings.HasPrefix(k, key+".") {
			return file, line
		}
	}
	return "", 0
}

// nearestSetting returns the known key closest to an unknown one, if close enough
// to be a typo.
func nearestSetting(unknown string) string {
	var c Config
	best, bestDist := "", 3
	for _, s := range settings(&c) {
		// Tables are candidates too: "[sarch]" should point at "search".
		table, _, _ := strings.Cut(s.key, ".")
		for _, k := range []string{s.key, table} {
			if d := suggest.Distance(unknown, k); d < bestDist {
				best, bestDist = k, d
			}
		}
	}
	return best
}

// keyLines maps each dotted key to the line that defines it. The TOML
// library keeps key positions private, so this is a light re-scan: table
// headers and `key =` lines, which is every key a person writes in this
// file; anything it misses just loses its line number.
func keyLines(data string) map[string]int {
	lines := make(map[string]int)
	var table []string
	for n, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#':
			continue
		case line[0] == '[':
			header := strings.Trim(strings.TrimSpace(strings.SplitN(line, "#", 2)[0]), "[]")
			table = splitKey(header)
			addLine(lines, table, n+1)
		default:
			name, _, ok := strings.Cut(line, "=")
			if !ok {
				continue // inside a multi-line value
			}
			addLine(lines, append(table[:len(table):len(table)], splitKey(name)...), n+1)
		}
	}
	return lines
}

func addLine(lines map[string]int, key []string, n int) {
	k := toml.Key(key).String()
	if _, dup := lines[k]; !dup {
		lines[k] = n
	}
}

// splitKey splits a dotted TOML key, dropping quotes around parts; dots
// inside quoted parts are rare enough in this file to ignore.
func splitKey(s string) []string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return parts
}
