# Sourced by the tests that run mxwatchd or mxwatch with sinks: they keep what the programs
# printed (stderr, /status, /metrics) and the secrets they configured in
# tests/daemon-logs/NAME/ of the build tree ($MXW_DAEMON_LOGS/NAME), where tests/secrets.test,
# run after every other test, looks for each secret in each log. Needs $top_builddir.

# logs_init NAME: makes $logs the directory of the test NAME, emptied of an earlier run's.
logs_init() {
	logs=${MXW_DAEMON_LOGS:-$top_builddir/tests/daemon-logs}/$1
	rm -rf "$logs" && mkdir -p "$logs" || exit 99
}

# logs_secret NAME VALUE: VALUE (a URL, a routing key, the contents of a *_file) is a secret
# the test configured; NAME says which, and is all secrets.test ever prints of it.
logs_secret() {
	printf '%s %s\n' "$1" "$2" >>"$logs/secrets"
}
