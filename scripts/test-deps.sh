#!/usr/bin/env bash
# The Debian packages that make test and make bench need, installed where
# missing (as root; otherwise it says what to install):
# - chromium: the insights' browser tests open the pages headless;
# - postgresql: internal/pgtest runs throw-away servers from its binaries
#   (a default cluster the package may start is not used).
# Under CI=true the tests that need them fail rather than skip without them.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "test-deps: install ${missing[*]} (Debian: sudo apt-get install ${missing[*]}); their tests skip without them" >&2
	exit 0
fi
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
