#!/usr/bin/env bash
# Runs every fuzz target in the repository (each `func FuzzXxx` in a
# *_test.go file) for a short budget and fails if any of them finds a
# failing input. Go keeps such an input under the package's
# testdata/fuzz/FuzzXxx/, where plain `go test` replays it from then on:
# commit it with the fix.
#
#   .ci/fuzz.sh                 # every target, 10 s each
#   FUZZTIME=1m .ci/fuzz.sh     # longer
#   .ci/fuzz.sh ./corpus        # only the targets under these folders
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${FUZZTIME:-10s}
dirs=("$@")
[ ${#dirs[@]} -eq 0 ] && dirs=(.)

targets=$(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' "${dirs[@]}" |
	sed -E 's#^(.*)/[^/]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' | sort -u)
if [ -z "$targets" ]; then
	echo "fuzz.sh: no fuzz targets found under ${dirs[*]}" >&2
	exit 1
fi

failed=()
count=0
while read -r dir name; do
	count=$((count + 1))
	pkg="./${dir#./}"
	echo "=== $pkg $name ($budget)"
	# Go 1.26's fuzz coordinator can fail a target with a bare "context
	# deadline exceeded" when -fuzztime ends while a worker is mid-call
	# (go.dev/issue/75804, fixed in Go 1.27). That is not a finding: a
	# finding writes its input under testdata/fuzz/. Such a failure is run
	# once more; a failure that wrote an input, or fails twice, counts.
	corpus="$dir/testdata/fuzz/$name"
	before=$(ls "$corpus" 2>/dev/null | sort || true)
	log=$(mktemp)
	# -run '^$' skips the unit tests; the seed corpus still runs first.
	if ! go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$budget" -parallel 2 2>&1 | tee "$log"; then
		after=$(ls "$corpus" 2>/dev/null | sort || true)
		if [ "$before" = "$after" ] && grep -q '^    context deadline exceeded$' "$log"; then
			echo "fuzz.sh: $pkg $name stopped on Go's fuzztime race with no failing input; running it again"
			if ! go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$budget" -parallel 2; then
				failed+=("$pkg $name")
			fi
		else
			failed+=("$pkg $name")
		fi
	fi
	rm -f "$log"
done <<<"$targets"

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: ${#failed[@]} of $count fuzz targets failed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	echo "The failing inputs are under each package's testdata/fuzz/; 'go test' replays them." >&2
	exit 1
fi
echo "fuzz.sh: all $count fuzz targets ran $budget without a failure"
