package cli

import (
	"strings"
	"testing"
)

func TestAskAllowToolsFlag(t *testing.T) {
	home := t.TempDir()
	if r := quire(t, home, "ask", "--tools", "--allow-tools", "usage", "x"); r.code != 2 || !strings.Contains(r.stderr, "server.tool") {
		t.Errorf("bad name: %d %s", r.code, r.stderr)
	}
	if r := quire(t, home, "ask", "--allow-tools", "usage.usage_table", "x"); r.code != 2 || !strings.Contains(r.stderr, "needs --tools") {
		t.Errorf("without --tools: %d %s", r.code, r.stderr)
	}
}
