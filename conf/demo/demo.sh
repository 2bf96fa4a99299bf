#!/bin/sh
# The demo, run by `make demo` beside a local NSD serving zones/ (MXW_DNS_SERVER is set):
# resolve the whole fleet, take a baseline with mxwatchd, apply a regression to the DNS,
# and watch mxwatchd report it and keep it in the history.
set -eu
demo=$(cd "$(dirname "$0")" && pwd)
bin=${MXW_BIN:-$demo/../../daemon}
testns=${MXW_TESTNS:-$demo/../../tests/testns-run}
export MXW_DATA_DIR="${MXW_DATA_DIR:-$demo/../data}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e "s|@DNS_SERVER@|$MXW_DNS_SERVER|" -e "s|@STATE@|$work/state.db|" -e "s|@DEMO@|$demo|" \
	"$demo/mxwatch.yaml" >"$work/mxwatch.yaml"

echo "== 1. The demo fleet, served by NSD on $MXW_DNS_SERVER: every watched record set"
echo
"$bin/mxwatch" dig --server "$MXW_DNS_SERVER" --batch "$demo/watched.txt"
echo
echo "== 2. mxwatchd -t: the configuration (one file per customer under domains.d/)"
"$bin/mxwatchd" -t -c "$work/mxwatch.yaml"
echo
# once: runs one cycle and shows its exit status (0 ok, 1 warnings, 2 critical).
once() {
	rc=0
	"$bin/mxwatchd" --once -c "$work/mxwatch.yaml" || rc=$?
	echo "(exit status $rc)"
}

echo "== 3. mxwatchd --once: the first cycle is the baseline, with what is already wrong"
once
echo
echo "== 4. A regression: an SES inbound MX is added to acme.test beside its own server"
"$testns" --set-zone acme.test "$demo/regressions/acme.test.zone"
"$bin/mxwatch" dig acme.test MX --server "$MXW_DNS_SERVER"
echo
echo "== 5. mxwatchd --once reports the change and a critical mx.mixed-providers finding"
once
echo
echo "== 6. mxwatch history acme.test"
"$bin/mxwatch" history acme.test -c "$work/mxwatch.yaml"
echo
echo "== 7. mxwatch show acme.test: the last known state"
"$bin/mxwatch" show acme.test -c "$work/mxwatch.yaml"
