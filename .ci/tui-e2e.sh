#!/usr/bin/env bash
# End-to-end check of the terminal app: builds quire, indexes a small test
# corpus, runs `quire --index DIR` in tmux at 120x40, then types a query,
# toggles a facet, opens a paper and asks a question, checking each screen
# with capture-pane. Exits non-zero with the screen printed on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v tmux >/dev/null; then
	apt-get update -qq >/dev/null && apt-get -y -qq install tmux >/dev/null
fi

work=$(mktemp -d)
sock="quire-e2e-$$"
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

export HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data" XDG_CACHE_HOME="$work/home/cache"
mkdir -p "$HOME"
go build -o "$work/quire" .
"$work/quire" ingest --index "$work/idx" testdata/corpus/arxiv-snapshot.jsonl testdata/corpus/openalex.jsonl >/dev/null

screen() { tmux -L "$sock" capture-pane -p -t e2e; }
fail() {
	echo "tui-e2e: FAIL: $*" >&2
	echo "---- screen ----" >&2
	screen >&2 || true
	echo "----------------" >&2
	exit 1
}
# expect PATTERN STEP: wait up to 10 s for PATTERN (grep -E) on screen.
expect() {
	for _ in $(seq 100); do
		if screen | grep -qE -- "$1"; then
			echo "tui-e2e: ok: $2"
			return 0
		fi
		sleep 0.1
	done
	fail "$2: no /$1/ on screen"
}
keys() { tmux -L "$sock" send-keys -t e2e "$@"; }

tmux -L "$sock" new-session -d -s e2e -x 120 -y 40 \
	"TERM=xterm-256color '$work/quire' --index '$work/idx'; echo quire-exited-\$?; sleep 30"

expect 'Search ›' "the app starts"
expect '[0-9]+ papers' "the status bar shows the index"

keys -l 'diphoton'
expect '\[bm25\] 1 hits' "search as you type"
expect 'Calculation of prompt diphoton' "the hit is listed"

keys Enter Tab
expect '▌Filters' "the facet sidebar takes focus"
keys Enter
expect 'Filters: \[year:[0-9]+ ×\]' "a facet toggles into a chip"
expect '\[x\] [0-9]{4}' "the toggled value is checked"

keys Escape Enter
expect '▌Reader' "the reader opens"
expect 'Abstract' "the reader shows the abstract"

keys a
expect 'Ask' "the question prompt opens"
keys -l 'what is computed?'
keys Enter
if screen | grep -q 'no answerer configured'; then
	echo "tui-e2e: ok: asking without an answerer says so cleanly"
else
	expect '▌Answer' "the answer pane opens"
	expect 'Sources|\[1\]' "the answer cites its sources"
fi

keys Escape Escape q
expect 'quire-exited-0' "q quits with status 0"
echo "tui-e2e: 8 passed, 0 failed"
