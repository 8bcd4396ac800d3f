#!/usr/bin/env bash
# make run-replicas: otelcol-caro as three replicas sharing one PostgreSQL
# (collector-config/postgres.yaml), all on 127.0.0.1:
#
#   1. a throw-away PostgreSQL from Debian's postgresql binaries
#      (scripts/pg.sh: initdb and pg_ctl as the postgres user under root);
#   2. three replicas, each on its own ports;
#   3. caro-loadgen spread over them, one load per replica at once;
#   4. the operator's count and the weekly review, read from the shared
#      store by caro-insights.
#
# Everything stops and is removed at the end (or on Ctrl-C).
# LOAD (default 10s) is how long each load runs.
set -euo pipefail
otelcol=$(realpath "${1:?usage: replicas-demo.sh OTELCOL_CARO CARO_LOADGEN CARO_INSIGHTS}")
loadgen=$(realpath "${2:?usage: replicas-demo.sh OTELCOL_CARO CARO_LOADGEN CARO_INSIGHTS}")
insights=$(realpath "${3:?usage: replicas-demo.sh OTELCOL_CARO CARO_LOADGEN CARO_INSIGHTS}")
repo=$(cd "$(dirname "$0")/.." && pwd)
LOAD=${LOAD:-10s}
BASE=${BASE_PORT:-25400}
work=$(mktemp -d)
chmod 755 "$work" # PostgreSQL runs as its own user under root
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	bash "$repo/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }

bold "Starting PostgreSQL on 127.0.0.1:$BASE"
dsn=$(bash "$repo/scripts/pg.sh" start "$work/pg" "$BASE")
export CARO_POSTGRES_DSN=$dsn CARO_LOG_LEVEL=warn

for i in 1 2 3; do
	port=$((BASE + 10 * i))
	bold "Starting replica $i: OTLP 127.0.0.1:$port"
	CARO_OTLP_ENDPOINT=127.0.0.1:$port CARO_EVENTS_ENDPOINT=127.0.0.1:$((port + 1)) \
		CARO_HEALTH_ENDPOINT=127.0.0.1:$((port + 2)) CARO_METRICS_PORT=$((port + 3)) \
		"$otelcol" --config "$repo/collector-config/postgres.yaml" >"$work/replica$i.log" 2>&1 &
	pids+=($!)
done
for i in 1 2 3; do
	health=127.0.0.1:$((BASE + 10 * i + 2))
	for _ in $(seq 1 200); do
		curl -fs "http://$health/" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -fs "http://$health/" >/dev/null || { cat "$work/replica$i.log"; exit 1; }
done

bold "caro-loadgen on each replica for $LOAD (2 workers each, 5% hostile records)"
epoch=$(date -u +%Y-%m-%dT%H:%M:%SZ)
loads=()
for i in 1 2 3; do
	"$loadgen" --url "http://127.0.0.1:$((BASE + 10 * i))/v1/logs" --duration "$LOAD" --workers 2 \
		--hostile 0.05 --seed "$i" --epoch "$epoch" >"$work/load$i.txt" 2>&1 &
	loads+=($!)
done
for i in 1 2 3; do
	wait "${loads[$((i - 1))]}" || { cat "$work/load$i.txt"; exit 1; }
	echo "replica $i:"
	sed 's/^/  /' "$work/load$i.txt"
done

bold "\$ caro-insights stats --store postgres://... --json"
"$insights" stats --store "$dsn" --json
week=$(date -u +%G-W%V)
bold "\$ caro-insights weekly --store postgres://... --week $week"
"$insights" weekly --store "$dsn" --week "$week"
