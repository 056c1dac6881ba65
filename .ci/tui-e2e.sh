#!/usr/bin/env bash
# End-to-end check of the terminal app in tmux, the first hour of a new
# user: `quire` with no index opens the first-run screen, which builds the
# demo; then search, a facet click (a real mouse event), the reader, a
# question, a follow-up, a draft from a prompt and its export, checking each
# screen with capture-pane. The whole walk runs at 120x40; the walk from the
# search on runs again at 80x24 over the index the first one built, and,
# when .ci/run has started the Weaviate cluster (QUIRE_WEAVIATE_URL), once
# more at 140x45 over that index pushed into the cluster.
# Exits non-zero with the screen printed on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if ! command -v tmux >/dev/null; then
	apt-get update -qq >/dev/null && apt-get -y -qq install tmux >/dev/null
fi

work=$(mktemp -d)
sock="quire-e2e-$$"
socks=()
cleanup() {
	for s in "${socks[@]}"; do
		tmux -L "$s" kill-server 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${QUIRE_E2E_BIN:-}" ]; then
	cp "$QUIRE_E2E_BIN" "$work/quire" # a binary built elsewhere
else
	go build -o "$work/quire" .
fi
# The app's config, index, session and drafts go to a throwaway home; the
# app runs in $work, where drafts are exported.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data" XDG_CACHE_HOME="$work/home/cache"
mkdir -p "$HOME"
start=$SECONDS

passed=0
size=""
screen() { tmux -L "$sock" capture-pane -p -t e2e; }
fail() {
	echo "tui-e2e ($size): FAIL: $*" >&2
	echo "---- screen ----" >&2
	screen >&2 || true
	echo "----------------" >&2
	exit 1
}
# expect PATTERN STEP [SECONDS]: wait for PATTERN (grep -E) on screen.
expect() {
	local tries=$((${3:-10} * 10))
	for _ in $(seq "$tries"); do
		if screen | grep -qE -- "$1"; then
			echo "tui-e2e ($size, $((SECONDS - start)) s): ok: $2"
			passed=$((passed + 1))
			return 0
		fi
		sleep 0.1
	done
	fail "$2: no /$1/ on screen"
}
# keys sends keys one at a time: an Escape followed at once by another key
# would read as alt+key.
keys() {
	local k
	for k in "$@"; do
		tmux -L "$sock" send-keys -t e2e "$k"
		sleep 0.2
	done
}
text() { tmux -L "$sock" send-keys -t e2e -l "$1"; }
# click X Y: a left click at column X, row Y (1-based), as xterm's SGR
# mouse mode reports it.
click() {
	tmux -L "$sock" send-keys -t e2e -l $'\e'"[<0;$1;$2M"
	tmux -L "$sock" send-keys -t e2e -l $'\e'"[<0;$1;$2m"
	sleep 0.3
}
start_app() {
	size="$1x$2"
	# A server of its own for each start: a new session on a server that is
	# still shutting down fails with "server exited unexpectedly".
	[ ${#socks[@]} -gt 0 ] && tmux -L "$sock" kill-server 2>/dev/null || true
	sock="quire-e2e-$$-$size"
	socks+=("$sock")
	tmux -L "$sock" new-session -d -s e2e -x "$1" -y "$2" \
		"cd '$work' && TERM=xterm-256color '$work/quire'; echo quire-exited-\$?; sleep 60"
}

# walk_from_search: search, facet, reader, ask, follow-up, draft, export.
walk_from_search() {
	text 'graph neural networks'
	expect '\[(hybrid|bm25)\] [0-9,]+ hits' "search as you type"
	expect 'Graph|Neural' "hits are listed"

	# A facet value, clicked with the mouse where the sidebar shows it: the
	# first author under the Author heading (G scrolls to the last facets).
	keys Enter Tab
	expect '▌Filters' "the facet sidebar takes focus"
	keys G
	local row=""
	for _ in $(seq 20); do
		row=$(screen | grep -nE '^Author' | head -1 | cut -d: -f1 || true)
		if [ -n "$row" ] && [ "$row" -lt "$(($(screen | wc -l) - 3))" ]; then
			break
		fi
		keys NPage
	done
	[ -n "$row" ] || fail "no Author facet in the sidebar"
	click 3 $((row + 1))
	expect 'Filters: \[author:="[^"]+" ×\]' "a facet click selects exactly that author"
	expect '\[x\] ' "the clicked value is checked"
	local hits
	hits=$(screen | grep -oE '\] [0-9,]+ hits' | head -1)
	echo "tui-e2e ($size): after the click: $hits"

	keys Escape Enter
	expect '▌Reader' "the reader opens"
	expect 'Abstract' "the reader shows the abstract"
	keys Escape

	keys a
	expect 'Ask' "the question prompt opens"
	text 'what limits graph neural networks?'
	keys Enter
	expect '▌Answer' "the answer pane opens"
	expect '\[1\]' "the answer cites [1]" 20

	keys a
	expect 'Follow-up' "a second question continues the conversation"
	text 'which of them use pruning?'
	keys Enter
	expect '▌Answer: which of them use pruning' "the follow-up is answered in the same pane" 20
	keys G
	expect 'Sources' "the end of the conversation lists its sources"
	keys Escape

	# A draft from a prompt, by its shortcut: d then p (prfaq).
	keys d
	expect 'd… (.* )?p ' "the prompt prefix lists the prompts' keys"
	keys p
	expect 'prfaq · product' "the prompt asks for its variables"
	text 'Quire'
	keys Enter Enter
	expect '▌Draft' "the draft pane opens"
	expect 'Headline' "the draft is written" 20
	rm -f "$work"/prfaq-*.md
	keys w
	expect 'exported to prfaq-' "the draft is exported"
	ls "$work"/prfaq-*.md >/dev/null 2>&1 || fail "no exported file in $work"
	grep -q 'Headline' "$work"/prfaq-*.md || fail "the export lacks the draft"

	keys Escape q
	expect 'quire-exited-0' "q quits with status 0"
}

# First run at 120x40: no index yet.
start_app 120 40
expect 'first run' "plain quire with no index opens the first-run screen"
expect 'Build the demo' "the first-run screen offers the demo"
keys 2
expect 'Building the demo' "the demo builds in the app"
expect 'elapsed · esc or ctrl\+c stops' "the build shows its progress"
expect 'built the demo in' "the app switches to the search over the demo" 240
walk_from_search

# Again at 80x24, over the index the first run built.
start_app 80 24
expect 'Search › .*author:="' "the last query is restored"
text 'g'
expect 'Search › g ' "typing replaces a restored query"
keys BSpace
walk_from_search

# Once more at 140x45 on the Weaviate cluster: the same walk, unchanged,
# over the demo pushed into a collection of its own.
if [ -n "${QUIRE_WEAVIATE_URL:-}" ]; then
	size="push"
	coll="QuireTuiE2E$$"
	export QUIRE_ENGINE_URL="$QUIRE_WEAVIATE_URL" QUIRE_ENGINE_GRPC="$QUIRE_WEAVIATE_GRPC"
	(cd "$work" && ./quire push --to weaviate --collection "$coll") >"$work/push.log" 2>&1 ||
		{ cat "$work/push.log" >&2; fail "quire push --to weaviate failed"; }
	echo "tui-e2e: pushed the demo to $coll in $((SECONDS - start)) s: $(tail -1 "$work/push.log")"
	export QUIRE_ENGINE=weaviate QUIRE_ENGINE_COLLECTION="$coll"
	start_app 140 45
	expect "weaviate $coll" "the status line names the cluster's collection" 30
	text 'g'
	expect 'Search › g ' "typing replaces a restored query"
	keys BSpace
	walk_from_search
	unset QUIRE_ENGINE QUIRE_ENGINE_COLLECTION
else
	echo "tui-e2e: QUIRE_WEAVIATE_URL unset: the walk on the Weaviate cluster did not run"
fi

echo "tui-e2e: $passed passed, 0 failed in $((SECONDS - start)) s"
