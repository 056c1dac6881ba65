// Package cluster starts, inspects, kills and restarts the nodes of a local
// Weaviate cluster for tests. The nodes are launched by .ci/weaviate.sh,
// which is the one place their settings live; this package reads what the
// script writes (node.json in each node's directory) and acts on the
// processes. It works on Unix only, where the server runs.
package cluster
