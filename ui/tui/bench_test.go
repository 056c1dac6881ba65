package tui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/quire-research/quire/corpus"
	"github.com/quire-research/quire/corpus/synth"
	"github.com/quire-research/quire/search"
	"github.com/quire-research/quire/search/embedded"
)

// BenchmarkViewRender measures one frame at 200×50: View, then drawing
// the styled string into a cell buffer as Bubble Tea's renderer does.
//
//	go test ./ui/tui -run '^$' -bench ViewRender -benchtime 2s
func BenchmarkViewRender(b *testing.B) {
	m, fb := newTestModel(b, 200, 50)
	fb.papers = fakePapers(5000)
	typeText(b, m, "protein")
	press(b, m, "enter", "enter", "esc") // reader beside the results
	scr := uv.NewScreenBuffer(200, 50)
	b.ResetTimer()
	for b.Loop() {
		v := m.View()
		uv.NewStyledString(v.Content).Draw(scr, uv.Rect(0, 0, 200, 50))
	}
}

// syntheticIndex builds an embedded index of n synthetic papers with
// search.Ingest, as 'quire gen' + 'quire ingest' would.
func syntheticIndex(tb testing.TB, n int) *embedded.Index {
	tb.Helper()
	dir := tb.TempDir()
	file := filepath.Join(dir, "synth.jsonl")
	f, err := os.Create(file)
	if err != nil {
		tb.Fatal(err)
	}
	if err := synth.WriteJSONL(f, synth.Options{Papers: n, Seed: 1}, nil); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	src, err := corpus.OpenJSONL([]string{file}, "jsonl", nil, "synthetic")
	if err != nil {
		tb.Fatal(err)
	}
	x, err := embedded.Open(filepath.Join(dir, "idx"), embedded.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { x.Close() })
	if _, err := search.Ingest(context.Background(), x, src, search.IngestOptions{BatchSize: 2000}); err != nil {
		tb.Fatal(err)
	}
	return x
}

// BenchmarkKeystrokeToFrame measures, on a real embedded index, the time
// from a key press to the frame that shows its results: Update, the
// search Cmd, Update with the hits, View. Facets run beside it, as in the
// program, and finish before the next key. QUIRE_TUI_BENCH_PAPERS sets
// the index size (default 20000).
//
//	QUIRE_TUI_BENCH_PAPERS=20000 go test ./ui/tui -run '^$' -bench KeystrokeToFrame -benchtime 200x
func BenchmarkKeystrokeToFrame(b *testing.B) {
	n := 20000
	if s := os.Getenv("QUIRE_TUI_BENCH_PAPERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	var x search.Engine
	mode := "bm25"
	if dir := os.Getenv("QUIRE_TUI_BENCH_INDEX"); dir != "" {
		// An index built by 'quire bench --index DIR', vectors included.
		ix, err := embedded.Open(dir, embedded.Options{ReadOnly: true, LocalEmbedder: true})
		if err != nil {
			b.Fatal(err)
		}
		defer ix.Close()
		c, _ := ix.Count()
		n, x, mode = int(c), ix, ix.Mode()
	} else {
		x = syntheticIndex(b, n)
	}
	be := &EngineBackend{Engine: x, About: Info{Engine: "embedded", Mode: mode}}
	m := New(Options{Backend: be, Theme: "dark"})
	send(m, tea.WindowSizeMsg{Width: 200, Height: 50})
	words := []string{"neural network ", "protein structure ", "quantum ", "graph learning ", "gene expression ", "year:2015.. "}
	var lat []time.Duration
	b.ResetTimer()
	i := 0
	for b.Loop() {
		w := words[(i/32)%len(words)]
		r := rune(w[i%len(w)])
		if i%32 == 0 {
			m.bar.ed.SetValue("")
		}
		i++
		start := time.Now()
		cmd := send(m, tea.KeyPressMsg{Code: r, Text: string(r)})
		lat = append(lat, runSearchFrame(b, m, cmd, start))
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(n), "papers")
	}
}

// runSearchFrame runs a keystroke's commands the way the program does
// (each on its own goroutine), renders the frame when the hits arrive and
// returns the time from start to that frame.
func runSearchFrame(tb testing.TB, m *Model, cmd tea.Cmd, start time.Time) time.Duration {
	msgs := make(chan tea.Msg, 16)
	var wg sync.WaitGroup
	var run func(c tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := c()
			if bm, ok := msg.(tea.BatchMsg); ok {
				for _, cc := range bm {
					run(cc)
				}
				return
			}
			msgs <- msg
		}()
	}
	run(cmd)
	go func() { wg.Wait(); close(msgs) }()
	var took time.Duration
	for msg := range msgs {
		if msg == nil {
			continue
		}
		_, next := m.Update(msg)
		if _, ok := msg.(hitsMsg); ok && took == 0 {
			_ = m.View()
			took = time.Since(start)
		}
		_ = next // page fetches and reader previews are not part of the frame
	}
	return took
}

// TestStreamingDoesNotBlockFrames streams a 600-delta answer (one delta
// every 500µs) through the same loop the program runs, while keys arrive,
// and measures every Update and View. The stream is read in Cmds on other
// goroutines, so no frame waits for the model.
func TestStreamingDoesNotBlockFrames(t *testing.T) {
	m, b := newTestModel(t, 160, 48)
	var script []timedEvent
	for i := range 600 {
		txt := "word "
		if i%40 == 39 {
			txt = "end of paragraph [1].\n\n"
		}
		script = append(script, timedEvent{500 * time.Microsecond, Event{Kind: EventDelta, Text: txt}})
	}
	b.script = script
	typeText(t, m, "protein")
	press(t, m, "enter")
	m.askInput(false)
	typeText(t, m, "q")

	msgs := make(chan tea.Msg, 64)
	var run func(c tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() {
			msg := c()
			if bm, ok := msg.(tea.BatchMsg); ok {
				for _, cc := range bm {
					run(cc)
				}
				return
			}
			msgs <- msg
		}()
	}
	run(send(m, keyMsg("enter")))
	keys := time.NewTicker(5 * time.Millisecond)
	defer keys.Stop()
	var updates, views []time.Duration
	// A guard against a hang, not a speed bar: under -race a frame takes
	// ~8 ms, and on a loaded machine the 1,800 frames took over 20 s.
	deadline := time.After(90 * time.Second)
	for done := false; !done; {
		var msg tea.Msg
		select {
		case msg = <-msgs:
		case <-keys.C:
			msg = keyMsg("k") // scroll while it streams
		case <-deadline:
			t.Fatal("the stream did not finish")
		}
		if _, ok := msg.(streamEndMsg); ok {
			done = true
		}
		s := time.Now()
		_, next := m.Update(msg)
		updates = append(updates, time.Since(s))
		s = time.Now()
		_ = m.View()
		views = append(views, time.Since(s))
		run(next)
	}
	if m.answer.streaming || len(m.answer.text) < 3000 {
		t.Fatalf("stream incomplete: %d bytes", len(m.answer.text))
	}
	pct := func(d []time.Duration, p int) time.Duration {
		slices.Sort(d)
		return d[min(len(d)-1, len(d)*p/100)]
	}
	t.Logf("%d frames while streaming: Update p50 %v p99 %v max %v; View p50 %v p99 %v max %v",
		len(updates), pct(updates, 50), pct(updates, 99), pct(updates, 100), pct(views, 50), pct(views, 99), pct(views, 100))
	// A frame at 60 Hz is 16 ms; allow slack for -race and busy CI cores.
	if worst := pct(updates, 99) + pct(views, 99); worst > 50*time.Millisecond {
		t.Errorf("p99 Update+View %v: frames block while streaming", worst)
	}
}
