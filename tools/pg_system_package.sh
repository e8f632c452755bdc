#!/usr/bin/env bash
# PostgreSQL's server programs for the team-mode tests, installed where they are missing (Debian/Ubuntu, as
# root) or named. Nothing is started or configured here: tools/pg_server.py runs a throwaway cluster in a
# folder of its own, and the package's own cluster (if its post-install starts one) is never used.
set -euo pipefail
[ "$(uname -s)" = "Linux" ] || exit 0
here="$(cd "$(dirname "$0")" && pwd)"
python3 -c "import importlib.util, sys
spec = importlib.util.spec_from_file_location('pg_server', '$here/pg_server.py')
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
sys.exit(0 if module.bin_dir() else 1)" && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL's server programs for the team-mode tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d 101: the package's own cluster is not started (the tests use a throwaway one)
    policy=/usr/sbin/policy-rc.d
    [ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; trap 'rm -f "$policy"' EXIT; }
    apt-get install -y -qq postgresql >/dev/null
else
    echo "the team-mode tests need PostgreSQL's server programs, which are missing" >&2
    echo "install them with: sudo apt-get install postgresql (or set KBASSIST_TEST_PG to a server of yours)" >&2
    exit 1
fi
