#!/usr/bin/env bash
# A 3-node Weaviate cluster on loopback for the tests (no Docker, no network).
#
#   .ci/weaviate.sh build   install weaviate-server once into the CI tool cache
#   .ci/weaviate.sh start   start 3 nodes, wait until they form one cluster,
#                           print the QUIRE_WEAVIATE_* exports (also in $dir/env)
#   .ci/weaviate.sh stats   each node's memory (RSS: heap, mapped files, peak) and data on disk
#   .ci/weaviate.sh stop    stop the nodes and remove their data
#
# Node i (0..2) listens on HTTP 28080+i, gRPC 25051+i, gossip 27100+2i,
# data 27101+2i, raft 28300+2i and raft RPC 28301+2i, each plus
# QUIRE_WEAVIATE_PORT_OFFSET. The fault tests start their own cluster
# through this script with offset 100 (search/weaviate/cluster.Start), so
# killing a node there never disturbs the tests that share this one.
#
# Environment: QUIRE_WEAVIATE_BIN (the server binary), QUIRE_WEAVIATE_DIR
# (state: data, logs, pid files; default /tmp/quire-weaviate-ci, with
# "+OFFSET" appended for a non-zero offset),
# QUIRE_WEAVIATE_MEMLIMIT (GOMEMLIMIT per node, default 3GiB),
# QUIRE_WEAVIATE_PROCS (GOMAXPROCS per node, default 1).
set -euo pipefail
cd "$(dirname "$0")/.."

version=v1.35.2
bin=${QUIRE_WEAVIATE_BIN:-$(go env GOPATH)/bin/quire-ci/weaviate-server-$version}
off=${QUIRE_WEAVIATE_PORT_OFFSET:-0}
suffix=""
[ "$off" = 0 ] || suffix="+$off"
dir=${QUIRE_WEAVIATE_DIR:-${TMPDIR:-/tmp}/quire-weaviate-ci$suffix}
nodes=3
http0=$((28080 + off)) grpc0=$((25051 + off)) gossip0=$((27100 + off)) raft0=$((28300 + off))
memlimit=${QUIRE_WEAVIATE_MEMLIMIT:-3GiB}
procs=${QUIRE_WEAVIATE_PROCS:-1}

build() {
	if [ -x "$bin" ]; then
		echo "weaviate-server $version: cached at $bin"
		return
	fi
	local start tmp
	start=$(date +%s)
	tmp=$(mktemp -d)
	# The server is a Go module like any other: the module proxy serves it.
	GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "github.com/weaviate/weaviate/cmd/weaviate-server@$version"
	mkdir -p "$(dirname "$bin")"
	mv "$tmp/weaviate-server" "$bin"
	rmdir "$tmp"
	echo "weaviate-server $version: built in $(($(date +%s) - start)) s into $bin"
}

# node_json writes what the Go harness (search/weaviate/cluster.FromEnv)
# needs to inspect, kill and restart node $1.
node_json() {
	local i=$1 d="$dir/node$1"
	printf '{"name":"node%d","http":%d,"grpc":%d,"pid_file":"%s","data":"%s","log":"%s","cmd":["%s"]}\n' \
		"$i" $((http0 + i)) $((grpc0 + i)) "$d/pid" "$d/data" "$d/log" "$d/run" >"$d/node.json"
}

# run_script writes node $1's launcher: it joins whichever peers' gossip
# ports answer (none for the first node of a new cluster), so the same
# script restarts a node that was killed.
run_script() {
	local i=$1 d="$dir/node$1"
	cat >"$d/run" <<EOF
#!/usr/bin/env bash
join=""
for p in $gossip0 $((gossip0 + 2)) $((gossip0 + 4)); do
	[ "\$p" = $((gossip0 + 2 * i)) ] && continue
	(exec 3<>/dev/tcp/127.0.0.1/\$p) 2>/dev/null && join="\${join:+\$join,}127.0.0.1:\$p"
done
export CLUSTER_JOIN="\$join"
export CLUSTER_HOSTNAME=node$i CLUSTER_IN_LOCALHOST=true MEMBERLIST_FAST_FAILURE_DETECTION=true
export CLUSTER_BIND_ADDR=127.0.0.1 CLUSTER_ADVERTISE_ADDR=127.0.0.1
export CLUSTER_GOSSIP_BIND_PORT=$((gossip0 + 2 * i)) CLUSTER_DATA_BIND_PORT=$((gossip0 + 1 + 2 * i))
export RAFT_PORT=$((raft0 + 2 * i)) RAFT_INTERNAL_RPC_PORT=$((raft0 + 1 + 2 * i))
export RAFT_JOIN=node0:$raft0,node1:$((raft0 + 2)),node2:$((raft0 + 4)) RAFT_BOOTSTRAP_EXPECT=3
export GRPC_PORT=$((grpc0 + i)) PERSISTENCE_DATA_PATH="$d/data"
export DEFAULT_VECTORIZER_MODULE=none AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true
export DISABLE_TELEMETRY=true GO_PROFILING_DISABLE=true PROMETHEUS_MONITORING_ENABLED=false
# BlockMax WAND (the default for new collections in 1.35) returned a wrong
# BM25 top k for long queries (MED nDCG@10 0.50 against 0.80 exact).
export USE_INVERTED_SEARCHABLE=false
export QUERY_MAXIMUM_RESULTS=10000 LOG_LEVEL=\${LOG_LEVEL:-info}
export GOMAXPROCS=$procs GOMEMLIMIT=$memlimit
exec "$bin" --host 127.0.0.1 --port $((http0 + i)) --scheme http
EOF
	chmod +x "$d/run"
}

launch() {
	local d="$dir/node$1"
	setsid "$d/run" >>"$d/log" 2>&1 </dev/null &
	echo $! >"$d/pid"
}

# wait_cluster waits until every node answers ready and node 0 sees all of
# them healthy.
wait_cluster() {
	local deadline=$(($(date +%s) + ${1:-180})) i ok healthy
	while :; do
		ok=0
		for ((i = 0; i < nodes; i++)); do
			curl -fs -o /dev/null "http://127.0.0.1:$((http0 + i))/v1/.well-known/ready" && ok=$((ok + 1))
		done
		healthy=$(curl -fs "http://127.0.0.1:$http0/v1/nodes" 2>/dev/null | grep -o '"status":"HEALTHY"' | wc -l || true)
		if [ "$ok" = $nodes ] && [ "$healthy" = $nodes ]; then
			return 0
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "weaviate: cluster not ready ($ok of $nodes nodes ready, $healthy healthy); last log lines:" >&2
			for ((i = 0; i < nodes; i++)); do
				echo "--- node$i" >&2
				tail -5 "$dir/node$i/log" >&2 || true
			done
			return 1
		fi
		for ((i = 0; i < nodes; i++)); do
			if ! kill -0 "$(cat "$dir/node$i/pid")" 2>/dev/null; then
				echo "weaviate: node$i exited; its log ends:" >&2
				tail -20 "$dir/node$i/log" >&2
				return 1
			fi
		done
		sleep 1
	done
}

start() {
	[ -x "$bin" ] || { echo "weaviate: no server at $bin (run: $0 build)" >&2; exit 1; }
	stop >/dev/null
	local begin i list=""
	begin=$(date +%s)
	for ((i = 0; i < nodes; i++)); do
		mkdir -p "$dir/node$i/data"
		run_script "$i"
		node_json "$i"
		list="${list:+$list,}$dir/node$i"
	done
	# The first node must listen for gossip before the others join it.
	launch 0
	for _ in $(seq 1 60); do
		(exec 3<>/dev/tcp/127.0.0.1/$gossip0) 2>/dev/null && break
		sleep 0.5
	done
	for ((i = 1; i < nodes; i++)); do launch "$i"; done
	wait_cluster 180
	cat >"$dir/env" <<EOF
export QUIRE_WEAVIATE_URL=http://127.0.0.1:$http0
export QUIRE_WEAVIATE_GRPC=127.0.0.1:$grpc0
export QUIRE_WEAVIATE_NODES=$list
EOF
	echo "weaviate: $nodes nodes ready in $(($(date +%s) - begin)) s (GOMAXPROCS=$procs GOMEMLIMIT=$memlimit each; logs in $dir)" >&2
	cat "$dir/env"
}

# node_pid prints node $1's pid while that process is still a Weaviate
# server (a stale pid file must not make us signal someone else's process).
node_pid() {
	local pid
	pid=$(cat "$dir/node$1/pid" 2>/dev/null) || return 1
	grep -qa weaviate-server "/proc/$pid/cmdline" 2>/dev/null || return 1
	echo "$pid"
}

stop() {
	local i pid
	for ((i = 0; i < nodes; i++)); do
		pid=$(node_pid "$i") || continue
		kill -TERM "$pid" 2>/dev/null || true
	done
	for ((i = 0; i < nodes; i++)); do
		pid=$(node_pid "$i") || continue
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	rm -rf "$dir"
	echo "weaviate: stopped"
}

# stats prints each node's resident memory (now, of it anonymous = heap
# and file-backed = mapped segments, and peak; /proc/PID/status) and the
# disk its data takes (du), for sizing.
stats() {
	local i pid st disk
	printf '%-6s %8s %10s %10s %10s %10s %10s\n' node pid rss_kib anon_kib file_kib peak_kib data_kib
	for ((i = 0; i < nodes; i++)); do
		pid=$(node_pid "$i") || { printf '%-6s %8s\n' "node$i" down; continue; }
		st=$(awk '/^(VmRSS|RssAnon|RssFile|VmHWM):/ {v[$1] = $2} END {print v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["VmHWM:"]}' "/proc/$pid/status")
		disk=$(du -sk "$dir/node$i/data" | cut -f1)
		# shellcheck disable=SC2086 # st holds four numbers
		printf '%-6s %8s %10s %10s %10s %10s %10s\n' "node$i" "$pid" $st "$disk"
	done
}

case "${1:-}" in
build) build ;;
start) start ;;
stats) stats ;;
stop) stop ;;
*)
	echo "usage: $0 build|start|stats|stop" >&2
	exit 2
	;;
esac
