#!/usr/bin/env bash
# Side-by-side load of two collectors with caro-loadgen (make bench):
#
#   bench/load.sh OTELCOL_CARO OTELCOL_STOCK [caro-loadgen flags...]
#
# Each collector in turn runs on 127.0.0.1 with its config (bench/caro.yaml:
# caro_redaction into the sqlitespool store; bench/stock.yaml: contrib's
# redaction into debug), and caro-loadgen sends it the same sessions (one
# seed, one epoch) for DURATION with WORKERS workers, a fraction HOSTILE
# of the records hostile. Printed per collector: what caro-loadgen measured (events/s,
# latency, statuses) and what the collector's own metrics say it received
# and passed to its exporter (hostile records that caro_redaction rejects
# do not reach it; contrib's masks them and passes them on). Flags after
# the binaries go to caro-loadgen and win over the defaults above
# (--duration 0 --requests N --prepare for a fixed count, --sessions N).
# CARO_CONFIG and STOCK_CONFIG replace the two configs. Everything stops by
# itself; LOADGEN is built when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 2 ] || { echo "usage: bench/load.sh OTELCOL_CARO OTELCOL_STOCK [caro-loadgen flags...]" >&2; exit 2; }
CARO=$1 STOCK=$2
shift 2
LOADGEN=${LOADGEN:-bin/caro-loadgen}
DURATION=${DURATION:-10s}
WORKERS=${WORKERS:-2}
HOSTILE=${HOSTILE:-0.05}
SEED=${SEED:-1}
BASE_PORT=${BASE_PORT:-24400}
CARO_CONFIG=${CARO_CONFIG:-bench/caro.yaml}
STOCK_CONFIG=${STOCK_CONFIG:-bench/stock.yaml}
EPOCH=$(date -u +%Y-%m-%dT%H:%M:%SZ)

[ -x "$LOADGEN" ] || go build -o "$LOADGEN" ./cmd/caro-loadgen

metric() { # NAME: the sum of a metric's series in the scraped text on stdin
	awk -v m="$1" '$1 ~ "^"m"({|$)" {s += $NF} END {printf "%d", s + 0}'
}

run() {
	local name=$1 bin=$2 cfg=$3 tmp pid i metrics
	shift 3
	tmp=$(mktemp -d)
	export CARO_OTLP_ENDPOINT=127.0.0.1:$((BASE_PORT + 18))
	export CARO_HEALTH_ENDPOINT=127.0.0.1:$((BASE_PORT + 33))
	export CARO_METRICS_PORT=$((BASE_PORT + 88))
	export CARO_STORE=$tmp/caro.db
	"$bin" --config "$cfg" >"$tmp/collector.log" 2>&1 &
	pid=$!
	# shellcheck disable=SC2064 # expand now: the trap outlives the locals
	trap "kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf '$tmp'" RETURN
	for i in $(seq 1 100); do
		curl -fs "http://$CARO_HEALTH_ENDPOINT/" >/dev/null && break
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/collector.log" >&2; return 1; }
		sleep 0.1
	done
	"$LOADGEN" --url "http://$CARO_OTLP_ENDPOINT/v1/logs" --duration "$DURATION" --workers "$WORKERS" \
		--hostile "$HOSTILE" --seed "$SEED" --epoch "$EPOCH" "$@" >"$tmp/load.txt" ||
		{ cat "$tmp/load.txt" "$tmp/collector.log" >&2; return 1; }
	sleep 1 # the batch processor's timeout, before counting what was exported
	metrics=$(curl -fs "http://127.0.0.1:$CARO_METRICS_PORT/metrics")
	echo "== $name ($cfg)"
	sed 's/^/  /' "$tmp/load.txt"
	printf '  collector received %s records (refused %s), exported %s\n' \
		"$(metric otelcol_receiver_accepted_log_records <<<"$metrics")" \
		"$(metric otelcol_receiver_refused_log_records <<<"$metrics")" \
		"$(metric otelcol_exporter_sent_log_records <<<"$metrics")"
}

echo "caro-loadgen, $WORKERS workers, $DURATION each, hostile $HOSTILE, seed $SEED, epoch $EPOCH:"
run otelcol-caro "$CARO" "$CARO_CONFIG" "$@"
run otelcol-stock "$STOCK" "$STOCK_CONFIG" "$@"
