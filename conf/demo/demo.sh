#!/bin/sh
# The demo, run by `make demo`: the demo fleet (domains.d/, zones/) served by a local NSD,
# and a local HTTP receiver standing in for Slack, PagerDuty and a signed webhook. mxwatchd
# takes a baseline; then each problem of DESIGN §1 is applied to the DNS in turn
# (regressions/N-ZONE.zone), one mxwatchd cycle each; then each zone is restored, one cycle
# each. After every cycle it shows what the receiver got, readably (tests/demo-view).
#
# It is also a check: it exits 0 when the story went as written here, and 1 with the reason
# when it did not (an alert missing or extra, an unexpected exit status, a secret in the
# daemon's log). Needs nothing but loopback; runs in a few seconds. With MXW_DEMO_LOGDIR set,
# what mxwatchd and mxwatch print on stderr is left in that directory as mxwatchd.log
# (tests/demo.test keeps it for tests/secrets.test); otherwise it goes with the scratch
# directory.
set -eu
demo=$(cd "$(dirname "$0")" && pwd)
bin=${MXW_BIN:-$demo/../../daemon}
tests=${MXW_TESTS:-$demo/../../tests}
MXW_DATA_DIR=${MXW_DATA_DIR:-$demo/../data}
export MXW_DATA_DIR
# mxwatchd writes journald's "<N>" prefixes when JOURNAL_STREAM is set, which terminals
# started by a systemd user session inherit; the demo reads its plain "mxwatchd: " lines.
unset JOURNAL_STREAM

# Outside: start NSD and the receiver, and run this script again beside them.
if [ -z "${MXW_DEMO_WORK:-}" ]; then
	MXW_DEMO_WORK=$(mktemp -d "${TMPDIR:-/tmp}/mxw-demo.XXXXXX")
	export MXW_DEMO_WORK
	trap 'rm -rf "$MXW_DEMO_WORK"' EXIT
	trap 'exit 130' INT TERM HUP
	rc=0
	"$tests/testns-run" "$demo/zones" -- "$tests/httprecv-run" \
		--log "$MXW_DEMO_WORK/received.log" -- sh "$0" "$@" || rc=$?
	exit $rc
fi

work=$MXW_DEMO_WORK
log=$work/received.log
daemon_log=${MXW_DEMO_LOGDIR:-$work}/mxwatchd.log
fleet="acme.test globex.test initech.test umbrella.test"

# The made-up secrets of the three sinks, each in a file as in production. None of them may
# ever be printed (tests/demo.test reads them from here).
slack_path=/slack/T0DEMO/B0DEMO/demoSlackWebhookPath
routing_key=demoPagerDutyRoutingKey0000000000
webhook_secret=whsec_ZGVtby13ZWJob29rLXNlY3JldA==
umask 077
printf '%s%s\n' "$MXW_HTTP_URL" "$slack_path" >"$work/slack.url"
printf '%s\n' "$routing_key" >"$work/pagerduty.key"
printf '%s\n' "$webhook_secret" >"$work/webhook.secret"
sed -e "s|@DNS_SERVER@|$MXW_DNS_SERVER|" -e "s|@HTTP@|$MXW_HTTP_URL|" -e "s|@WORK@|$work|g" \
	-e "s|@DEMO@|$demo|" "$demo/mxwatch.yaml" >"$work/mxwatch.yaml"
: >"$daemon_log"

step="setting up"
# fail MESSAGE: says what went wrong, and where, and stops the demo.
fail() {
	echo
	echo "demo: FAILED at \"$step\": $1" >&2
	if [ -s "$daemon_log" ]; then
		echo "demo: the last lines mxwatchd logged:" >&2
		tail -n 5 "$daemon_log" | sed 's/^/    /' >&2
	fi
	exit 1
}

# show LABEL TEXT: one line of the demo, in the columns demo-view prints.
show() {
	printf '  %-11s%s\n' "$1" "$2"
}

# heading TEXT: starts a part of the story.
heading() {
	step=$1
	echo
	echo "== $1"
}

# cycle EXIT: runs one mxwatchd cycle and shows the DNS changes it saw and its exit status;
# fails unless it exits EXIT.
cycle() {
	from=$(($(wc -l <"$log") + 1))
	rc=0
	"$bin/mxwatchd" --once -c "$work/mxwatch.yaml" >/dev/null 2>"$work/cycle.err" || rc=$?
	cat "$work/cycle.err" >>"$daemon_log"
	sed -n 's/^mxwatchd: [^ ]*: \(.* changed: .*\)$/\1/p' "$work/cycle.err" >"$work/changes"
	while IFS= read -r line; do
		show dns "$line"
	done <"$work/changes"
	case $rc in
	0) what="nothing wrong" ;;
	1) what="warnings" ;;
	2) what="critical" ;;
	*) what="could not check" ;;
	esac
	show mxwatchd "--once: exit $rc ($what)"
	[ "$rc" = "$1" ] || fail "mxwatchd --once exited $rc, not $1"
}

# received COUNT LINE...: shows what the receiver got in the last cycle. COUNT must be its
# first line (how many of each arrived: nothing more, nothing less) and each LINE one of
# its lines, both with spaces squeezed.
received() {
	"$tests/demo-view" "$log" "$from" >"$work/view" ||
		fail "demo-view could not read what the receiver got"
	cat "$work/view"
	tr -s ' ' <"$work/view" | sed 's/^ //' >"$work/lines"
	got=$(head -n 1 "$work/lines")
	[ "$got" = "$1" ] || fail "the receiver got \"${got#received }\", not \"${1#received }\""
	shift
	for want in "$@"; do
		grep -qxF -- "$want" "$work/lines" || fail "\"$want\" did not arrive"
	done
}

# set_zone ZONE FILE: serves FILE as ZONE from now on.
set_zone() {
	"$tests/testns-run" --set-zone "$1" "$2" >/dev/null || fail "NSD did not take $2"
}

# regress N ZONE TITLE: applies regression N (regressions/N-ZONE.zone).
regress() {
	heading "$1/4  $3"
	set_zone "$2" "$demo/regressions/$1-$2.zone"
}

# fix N ZONE TITLE: restores ZONE as zones/ZONE.zone.
fix() {
	heading "fix $1/4  $3"
	set_zone "$2" "$demo/zones/$2.zone"
}

echo "mxwatch demo: a fleet of 4 domains on a local NSD, alerts to a local receiver"
show fleet "$fleet"
show servers "NSD on $MXW_DNS_SERVER, receiver on ${MXW_HTTP_URL#http://}"
show sinks "Slack (mail-ops), PagerDuty (oncall, critical only), webhook (audit, signed)"
show alerting "confirm_after 1, resolve_after 1: one cycle fires an alert, one resolves it"
"$bin/mxwatchd" -t -c "$work/mxwatch.yaml" >/dev/null 2>"$work/cycle.err" ||
	fail "the demo configuration does not load: $(cat "$work/cycle.err")"
cat "$work/cycle.err" >>"$daemon_log"

heading "Baseline: the first cycle takes stock of what is already wrong"
cycle 1
checked=0
for d in $fleet; do
	if "$bin/mxwatch" show "$d" -c "$work/mxwatch.yaml" 2>>"$daemon_log" | head -n 1 |
		grep -q "^$d: last checked "; then
		checked=$((checked + 1))
	fi
done
show checked "$checked of 4 domains: what is already wrong goes out as one digest"
[ "$checked" = 4 ] || fail "only $checked of the 4 domains were checked"
received "received 1 Slack message, 1 webhook call" \
	"Slack Baseline of 2 domains: 2 mail-DNS problems (2 warning)" \
	"WARNING mx.target-is-web-host on initech.test" \
	"WARNING ptr.generic on umbrella.test · 203.0.113.50" \
	"webhook baseline: 2 alerts, signed"

regress 1 acme.test "acme.test gets an SES inbound MX beside its own mail server"
cycle 2
received "received 1 Slack message, 1 PagerDuty event, 1 webhook call" \
	"Slack CRITICAL: mx.mixed-providers on acme.test" \
	"PagerDuty trigger critical acme.test/mx.mixed-providers/acme.test." \
	"webhook firing: 1 alert, signed" \
	"CRITICAL mx.mixed-providers on acme.test"

regress 2 umbrella.test "umbrella.test's SES MAIL FROM, bounce.umbrella.test, loses its MX"
cycle 2
received "received 1 Slack message, 1 PagerDuty event, 1 webhook call" \
	"Slack CRITICAL: mailfrom.mx-missing on umbrella.test" \
	"PagerDuty trigger critical umbrella.test/mailfrom.mx-missing/bounce.umbrella.test." \
	"CRITICAL mailfrom.mx-missing on umbrella.test · bounce.umbrella.test."

regress 3 initech.test "initech.test's apex A moves to a CDN, and the apex is its mail host"
cycle 2
received "received 2 Slack messages, 1 PagerDuty event, 2 webhook calls" \
	"Slack CRITICAL: mx.target-on-cdn on initech.test" \
	"Slack WARNING: mx.target-moved on initech.test" \
	"PagerDuty trigger critical initech.test/mx.target-on-cdn/initech.test." \
	"CRITICAL mx.target-on-cdn on initech.test" \
	"WARNING mx.target-moved on initech.test"

regress 4 113.0.203.in-addr.arpa "acme's sending Elastic IP 203.0.113.10 loses its PTR"
cycle 2
received "received 1 Slack message, 1 PagerDuty event, 1 webhook call" \
	"Slack CRITICAL: ptr.missing on acme.test" \
	"PagerDuty trigger critical acme.test/ptr.missing/203.0.113.10" \
	"CRITICAL ptr.missing on acme.test · 203.0.113.10"

fix 1 acme.test "acme.test: the SES inbound MX is removed again"
cycle 2
received "received 1 Slack message, 1 PagerDuty event, 1 webhook call" \
	"Slack Resolved: mx.mixed-providers on acme.test" \
	"PagerDuty resolve acme.test/mx.mixed-providers/acme.test." \
	"webhook resolved: 1 alert, signed"

fix 2 umbrella.test "umbrella.test: bounce.umbrella.test gets its SES MX back"
cycle 2
received "received 1 Slack message, 1 PagerDuty event, 1 webhook call" \
	"Slack Resolved: mailfrom.mx-missing on umbrella.test" \
	"PagerDuty resolve umbrella.test/mailfrom.mx-missing/bounce.umbrella.test."

fix 3 initech.test "initech.test: the apex A points at its mail server again"
cycle 2
received "received 2 Slack messages, 1 PagerDuty event, 2 webhook calls" \
	"Slack WARNING: mx.target-moved on initech.test" \
	"Slack Resolved: mx.target-on-cdn on initech.test" \
	"PagerDuty resolve initech.test/mx.target-on-cdn/initech.test."

fix 4 113.0.203.in-addr.arpa "203.0.113.10 gets its PTR back"
cycle 1
received "received 1 Slack message, 1 PagerDuty event, 1 webhook call" \
	"Slack Resolved: ptr.missing on acme.test" \
	"PagerDuty resolve acme.test/ptr.missing/203.0.113.10"

heading "All fixed: one more cycle, and nothing new to tell"
cycle 1
received "received nothing"

step="the end"
for secret in "$slack_path" "$routing_key" "$webhook_secret"; do
	if grep -qF -- "$secret" "$daemon_log"; then
		fail "a secret of the demo sinks is in mxwatchd's log"
	fi
done
echo
requests=$(wc -l <"$log" | tr -d ' ')
echo "demo: OK: 4 problems alerted and resolved, $requests requests received as expected"
