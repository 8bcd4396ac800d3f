#!/usr/bin/env bash
# A throw-away PostgreSQL from the shell, as internal/pgtest runs one for
# the tests (make run-replicas and the benchmarks use it):
#
#   scripts/pg.sh start DIR PORT   initdb DIR/data when it is new, start the
#                                  server on 127.0.0.1:PORT (socket in
#                                  DIR/sock, log in DIR/postgres.log), wait
#                                  until it accepts connections and print
#                                  its DSN
#   scripts/pg.sh stop DIR         fast shutdown; nothing when not running
#   scripts/pg.sh dsn DIR          print the DSN of the server in DIR
#
# It uses the server binaries of the machine (PGTEST_BINDIR, pg_config
# --bindir or /usr/lib/postgresql/*/bin), never a cluster that Debian's
# package may have started. As root, it runs them as the postgres user,
# which then owns DIR: DIR's parent folders must be open to that user
# (mktemp -d under /tmp is). fsync is off unless PG_FSYNC=on.
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }

bindir() {
	local d
	for d in "${PGTEST_BINDIR:-}" "$(pg_config --bindir 2>/dev/null || true)" \
		$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -rn); do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return
		fi
	done
	die "no PostgreSQL server binaries found; install them (Debian: apt-get install postgresql)"
}

# as_pg runs a command as the postgres user when we are root.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- env -i PATH="$PATH" LC_ALL=C TZ=UTC "$@"
	else
		env LC_ALL=C TZ=UTC "$@"
	fi
}

dsn() { echo "postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable"; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pg.sh start DIR PORT | stop DIR | dsn DIR"
bin=$(bindir)

case $cmd in
start)
	port=${3:-}
	[[ $port =~ ^[0-9]+$ ]] || die "usage: pg.sh start DIR PORT"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir"
		runuser -u postgres -- test -w "$dir" ||
			die "the postgres user cannot reach $dir: open its parent folders to it (chmod o+x)"
	fi
	cd "$dir" # a working folder the postgres user may read
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
		as_pg mkdir -p "$dir/sock"
	fi
	echo "$port" >"$dir/port"
	fsync=${PG_FSYNC:-off}
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
		-o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/sock -c fsync=$fsync -c full_page_writes=$fsync -c max_connections=200" \
		>/dev/null || { tail -20 "$dir/postgres.log" >&2; die "start failed"; }
	dsn "$port"
	;;
stop)
	[ -f "$dir/data/postmaster.pid" ] || exit 0
	cd "$dir"
	as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null || exit 0 # a stale pid file after a crash
	as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	;;
dsn)
	[ -f "$dir/port" ] || die "no server was started in $dir"
	dsn "$(cat "$dir/port")"
	;;
*)
	die "unknown command $cmd (start, stop, dsn)"
	;;
esac
