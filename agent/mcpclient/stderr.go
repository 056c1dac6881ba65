package mcpclient

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/quire-research/quire/config"
)

// serverLog is where a stdio server's stderr goes: appended to
// LogDir/mcp-NAME.log (a temporary file without LogDir), so a failure can
// quote the server's last words and a user can read the rest. The child
// writes the file directly, so all it said before exiting is there when
// its exit is noticed.
type serverLog struct {
	f      *os.File
	path   string
	start  int64    // where this run's lines begin
	secret []string // env values never quoted back
	temp   bool
}

func openServerLog(dir string, s config.MCPServer) (*serverLog, error) {
	l := &serverLog{}
	var err error
	if dir == "" {
		l.f, err = os.CreateTemp("", "quire-mcp-*.log")
		l.temp = true
	} else {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			l.f, err = os.OpenFile(filepath.Join(dir, "mcp-"+unsafe.ReplaceAllString(s.Name, "_")+".log"),
				os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("stderr log: %w", err)
	}
	l.path = l.f.Name()
	if fi, err := l.f.Stat(); err == nil {
		l.start = fi.Size()
	}
	fmt.Fprintf(l.f, "--- %s %s started by quire pid %d\n", time.Now().Format(time.RFC3339), s.Command, os.Getpid())
	for _, v := range s.Env {
		if len(v) >= 6 {
			l.secret = append(l.secret, v)
		}
	}
	return l, nil
}

// lastWords are the final lines of this run's stderr (at most three,
// 300 bytes), with env values and anything shaped like a token hidden;
// "" when the server said nothing.
func (l *serverLog) lastWords() string {
	if l == nil {
		return ""
	}
	f, err := os.Open(l.path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const window = 4096
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	from := max(l.start, fi.Size()-window)
	b, _ := io.ReadAll(io.NewSectionReader(f, from, fi.Size()-from))
	var lines []string
	for _, ln := range strings.Split(string(b), "\n") {
		if ln = strings.TrimSpace(ln); ln != "" && !strings.HasPrefix(ln, "--- ") {
			lines = append(lines, ln)
		}
	}
	lines = lines[max(0, len(lines)-3):]
	s := strings.Join(lines, " | ")
	for _, v := range l.secret {
		s = strings.ReplaceAll(s, v, "***")
	}
	s = tokenish.ReplaceAllString(s, "$1***")
	if len(s) > 300 {
		s = "…" + s[len(s)-300:]
	}
	return s
}

// tokenish matches credentials a crashing server might print: bearer
// tokens, key=value secrets and AWS access key IDs.
var tokenish = regexp.MustCompile(`(?i)((?:bearer\s+|(?:token|secret|password|api[_-]?key)\s*[=:]\s*))\S+|AKIA[0-9A-Z]{16}`)

// explain puts the server's last stderr line before err, where a
// one-line status bar still shows it, and the lines before it after;
// name (a tool, or "") leads.
func (l *serverLog) explain(name string, err error) error {
	if err == nil {
		return nil
	}
	lead := ""
	if name != "" {
		lead = name + ": "
	}
	w := l.lastWords()
	if w == "" {
		return fmt.Errorf("%s%w", lead, err)
	}
	last, before := w, ""
	if i := strings.LastIndex(w, " | "); i >= 0 {
		last, before = w[i+3:], w[:i]
	}
	where := ""
	if !l.temp {
		where = "; all of it in " + l.path
	}
	if before != "" {
		return fmt.Errorf("%s%s (%w; its stderr before that: %s%s)", lead, last, err, before, where)
	}
	return fmt.Errorf("%s%s (%w%s)", lead, last, err, where)
}

func (l *serverLog) close() {
	if l == nil {
		return
	}
	l.f.Close()
	if l.temp {
		os.Remove(l.path)
	}
}
