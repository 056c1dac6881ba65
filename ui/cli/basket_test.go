package cli

import (
	"strings"
	"testing"

	"github.com/quire-research/quire/ui/tui"
)

// The basket marked in the app reaches `quire ask` only with --basket app,
// and its papers are listed as coming from the basket.
func TestAskUsesTheAppBasketOnlyWhenAsked(t *testing.T) {
	home := agentHome(t)
	app := newTestApp(t, home, func(o *tui.Options) { o.StateDir = home + "/data/quire/tui" })
	app.typeText("rotation curves")
	app.keys("enter", " ")
	if got := strings.Join(app.m.BasketIDs(), ","); got != "h2" {
		t.Fatalf("marked %q", got)
	}
	if err := app.m.SaveSession(); err != nil {
		t.Fatal(err)
	}

	r := quire(t, home, "ask", "--no-save", "attention", "transformer")
	if r.code != 0 || strings.Contains(r.stdout, "· basket") || strings.Contains(r.stdout, "`h2`") {
		t.Fatalf("the app's basket leaked into a plain ask (exit %d):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = quire(t, home, "ask", "--no-save", "--basket", "app", "attention", "transformer")
	if r.code != 0 || !strings.Contains(r.stdout, "- [1] Rotation curves of spiral galaxies (1980) — `h2` · basket") {
		t.Fatalf("--basket app (exit %d):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	empty := agentHome(t)
	if r := quire(t, empty, "ask", "--basket", "app", "x"); r.code == 0 || !strings.Contains(r.stderr, "basket is empty") {
		t.Fatalf("empty app basket: %d %s", r.code, r.stderr)
	}
}
