#!/usr/bin/env bash
# What `make run-local` runs (`make run` is scripts/collector-demo.sh):
# caro alone, a few sessions in a throw-away home recorded through the real
# SDK (redaction -> batch -> the spool's inbox, which `caro telemetry`
# stores in SQLite when it opens the spool), then what the user's controls
# show about them: status, show, export. Air-gapped, so no connection
# leaves the machine.
set -euo pipefail
caro=${1:?usage: demo.sh path/to/caro}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
cd "$home"
export HOME=$home XDG_CONFIG_HOME=$home/.config XDG_CACHE_HOME=$home/.cache SHELL=/bin/sh
unset CI DO_NOT_TRACK CARO_TELEMETRY_ENABLED CARO_TELEMETRY_LEVEL CARO_TELEMETRY_AIR_GAPPED CARO_TELEMETRY_ENDPOINT OTEL_RESOURCE_ATTRIBUTES OTEL_SERVICE_NAME

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || true; }

step "$caro" config set telemetry.enabled true
step "$caro" config set telemetry.level detailed
step "$caro" config set telemetry.air_gapped true
step "$caro" "list files by size"
step "$caro" --yes "show the current date"
step "$caro" "delete everything in / without asking"   # nothing in the built-in table: an error event
step "$caro" --backend ollama --yes "show disk usage"   # no Ollama here: falls back to the built-in table
step "$caro" "find files under /home/alice/.ssh containing sk-proj-Q7hT2mV9xKp4LwZ8rN3bY6c"
step "$caro" telemetry status
step "$caro" telemetry show
step "$caro" telemetry show --verbose --limit 4
step "$caro" telemetry export --output "$home/export.json.gz"
