#!/usr/bin/env bash
# Side-by-side load (make bench only): telemetrygen sends OTLP/HTTP logs
# for DURATION with WORKERS workers, unthrottled, first to otelcol-caro
# (bench/caro.yaml), then to the stock-ish collector (bench/stock.yaml);
# each collector's own telemetry says how many records it received.
# Everything listens on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

TG=${TG:-bin/telemetrygen}
CARO=${CARO:-_build/otelcol-caro}
STOCK=${STOCK:-_build/stock/otelcol-stock}
DURATION=${DURATION:-10s}
WORKERS=${WORKERS:-2}
BASE_PORT=${BASE_PORT:-24300}

run() {
	local name=$1 bin=$2 cfg=$3 tmp pid i accepted refused
	tmp=$(mktemp -d)
	export CARO_OTLP_ENDPOINT=127.0.0.1:$((BASE_PORT + 18))
	export CARO_HEALTH_ENDPOINT=127.0.0.1:$((BASE_PORT + 33))
	export CARO_METRICS_PORT=$((BASE_PORT + 88))
	export CARO_STORE=$tmp/caro.db
	"$bin" --config "$cfg" >"$tmp/log" 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' RETURN
	for i in $(seq 1 100); do
		curl -fs "http://$CARO_HEALTH_ENDPOINT/" >/dev/null && break
		sleep 0.1
	done
	"$TG" logs --otlp-http --otlp-insecure --otlp-endpoint "$CARO_OTLP_ENDPOINT" \
		--duration "$DURATION" --workers "$WORKERS" --rate 0 \
		--service telemetrygen >"$tmp/tg.log" 2>&1 || { cat "$tmp/tg.log"; return 1; }
	[ -n "${VERBOSE:-}" ] && grep -h 'logs generated' "$tmp/tg.log" | tail -2
	metrics=$(curl -fs "http://127.0.0.1:$CARO_METRICS_PORT/metrics")
	accepted=$(awk '/^otelcol_receiver_accepted_log_records/ {s += $NF} END {print s + 0}' <<<"$metrics")
	refused=$(awk '/^otelcol_receiver_refused_log_records/ {s += $NF} END {print s + 0}' <<<"$metrics")
	awk -v n="$name" -v a="$accepted" -v r="$refused" -v d="${DURATION%s}" \
		'BEGIN {printf "%-14s %9d records received in %ss: %8.0f records/s (refused %d)\n", n, a, d, a / d, r}'
}

echo "telemetrygen logs over OTLP/HTTP, $WORKERS workers, unthrottled, $DURATION each:"
run otelcol-caro "$CARO" bench/caro.yaml
run otelcol-stock "$STOCK" bench/stock.yaml
