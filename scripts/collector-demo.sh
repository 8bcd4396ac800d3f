#!/usr/bin/env bash
# The collector half of the README's main job: otelcol-caro runs with
# collector-config/local.yaml on 127.0.0.1, a few Caro sessions are
# recorded with the built-in (static) backend and flushed to it over
# OTLP/HTTP, an air-gapped Caro's export file is uploaded to it, and the
# script prints what the collector stored, then stops it.
set -euo pipefail
caro=$(realpath "${1:?usage: collector-demo.sh path/to/caro path/to/otelcol-caro}")
otelcol=$(realpath "${2:?usage: collector-demo.sh path/to/caro path/to/otelcol-caro}")
repo=$(cd "$(dirname "$0")/.." && pwd)
home=$(mktemp -d)
collector_pid=
cleanup() {
	[ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null && wait "$collector_pid" 2>/dev/null
	rm -rf "$home"
}
trap cleanup EXIT

# Ports: the defaults of local.yaml unless set.
export CARO_OTLP_ENDPOINT=${CARO_OTLP_ENDPOINT:-127.0.0.1:4318}
export CARO_EVENTS_ENDPOINT=${CARO_EVENTS_ENDPOINT:-127.0.0.1:4320}
export CARO_HEALTH_ENDPOINT=${CARO_HEALTH_ENDPOINT:-127.0.0.1:13133}
export CARO_METRICS_PORT=${CARO_METRICS_PORT:-8888}
export CARO_STORE=$home/collector/caro.db CARO_LOG_LEVEL=warn

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || true; }

printf '\033[1mStarting otelcol-caro (collector-config/local.yaml, 127.0.0.1 only)\033[0m\n'
"$otelcol" --config "$repo/collector-config/local.yaml" >"$home/collector.log" 2>&1 &
collector_pid=$!
for _ in $(seq 1 100); do
	curl -fs "http://$CARO_HEALTH_ENDPOINT/" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fs "http://$CARO_HEALTH_ENDPOINT/" >/dev/null || { cat "$home/collector.log"; exit 1; }

# An online Caro: sessions, then a flush to the collector.
online() {
	HOME=$home/online XDG_CONFIG_HOME=$home/online/.config XDG_CACHE_HOME=$home/online/.cache SHELL=/bin/sh \
		"$caro" "$@"
}
unset CI DO_NOT_TRACK CARO_TELEMETRY_ENABLED CARO_TELEMETRY_LEVEL CARO_TELEMETRY_AIR_GAPPED CARO_TELEMETRY_ENDPOINT \
	OTEL_RESOURCE_ATTRIBUTES OTEL_SERVICE_NAME
mkdir -p "$home/online" "$home/offline"
cd "$home/online"
step online config set telemetry.enabled true
step online config set telemetry.level detailed
step online config set telemetry.endpoint "http://$CARO_OTLP_ENDPOINT"
step online --backend static "list files by size"
step online --backend static --yes "show the current date"
step online --backend static "find files under /home/alice/.ssh containing sk-proj-Q7hT2mV9xKp4LwZ8rN3bY6c"
step online telemetry flush

# An air-gapped Caro: its export file, uploaded as the spec says.
offline() {
	HOME=$home/offline XDG_CONFIG_HOME=$home/offline/.config XDG_CACHE_HOME=$home/offline/.cache SHELL=/bin/sh \
		"$caro" "$@"
}
cd "$home/offline"
step offline config set telemetry.enabled true
step offline config set telemetry.air_gapped true
step offline --backend static "show disk usage"
step offline telemetry export --output "$home/export.json.gz"
step curl -s -H 'Content-Type: application/gzip' --data-binary "@$home/export.json.gz" \
	"http://$CARO_EVENTS_ENDPOINT/telemetry/upload"
echo

insights=$(dirname "$caro")/caro-insights
printf '\n\033[1mWhat the collector stored (%s)\033[0m\n' "$CARO_STORE"
step "$insights" stats --store "$CARO_STORE"
if command -v sqlite3 >/dev/null; then
	printf '\n\033[1mA few rows: typed columns, one per schema field\033[0m\n'
	sqlite3 -readonly -header -column "$CARO_STORE" \
		"SELECT event_type, event_time, session_id, platform_os, backend_used, risk_level, exit_reason FROM events ORDER BY rowid LIMIT 6;"
fi
printf '\n\033[1mThe collector'"'"'s own counts\033[0m\n'
curl -fs "http://127.0.0.1:$CARO_METRICS_PORT/metrics" | grep -E '^otelcol_caro_' || true

# A simulated beta fleet through the SDK, client spools and upload to the
# collector, then the weekly review of this ISO week from what it stored.
printf '\n\033[1mA simulated fleet, flushed to the collector\033[0m\n'
"$insights" simulate --endpoint "http://$CARO_OTLP_ENDPOINT" --users 40 --days 14
week=$(date -u +%G-W%V)
printf '\n\033[1mThe weekly review (%s)\033[0m\n' "$week"
"$insights" weekly --store "$CARO_STORE" --week "$week"
