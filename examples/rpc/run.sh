#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The calculator example end to end: a server, typed calls, a call the
# server refuses, and the server stopped by closing its mailbox.  Exits 0
# iff every answer is the one expected.  usage: run.sh [BUILD_DIR]
set -u
bin=${1:-$(dirname "$0")/build}
name=calc-example-$$
fail=0

"$bin/calc_server" "$name" &
server=$!

# expect WANT ARGS...: the client's output must be WANT ("" for a failure).
expect() {
	want=$1
	shift
	got=$("$bin/calc_client" "$name" "$@")
	st=$?
	if [ -z "$want" ] && [ $st -ne 0 ]; then
		echo "calc_client $*: failed, as it should"
	elif [ -n "$want" ] && [ $st -eq 0 ] && [ "$got" = "$want" ]; then
		echo "calc_client $*: $got"
	else
		echo "calc_client $*: got '$got' (status $st), expected '${want:-a failure}'"
		fail=1
	fi
}

expect 42 add 40 2
expect -9223372036854775808 add 9223372036854775807 1
expect "3 remainder 1" divide 7 2
expect "" divide 1 0
"$bin/calc_client" "$name" stop || fail=1
wait $server || { echo "calc_server: exit status $?"; fail=1; }
[ $fail -eq 0 ] && echo "rpc example: OK" || echo "rpc example: FAILED"
exit $fail
