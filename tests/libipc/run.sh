#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run libipc test programs, each with a time limit, and print kselftest
# TAP: one line per program, each program's own output indented with "# ",
# and a "# Totals:" line adding up the test cases of all programs (a
# program that crashes or times out without its own totals counts as one
# failed case).  Exit status 0 iff nothing failed.
limit=${LT_TIMEOUT:-120}
n=0 pass=0 fail=0 skip=0 rc=0
echo "TAP version 13"
echo "1..$#"
for prog in "$@"; do
	n=$((n + 1))
	name=$(basename "$(dirname "$prog")")/$(basename "$prog")
	echo "# selftests: libipc: $name"
	out=$(mktemp)
	start=$(date +%s)
	{ timeout -s KILL "$limit" "$prog" </dev/null 2>&1; echo "rc=$?"; } >"$out"
	st=$(sed -n 's/^rc=//p' "$out" | tail -n 1)
	sed '/^rc=[0-9]*$/d; s/^/# /' "$out"
	totals=$(grep '^# Totals:' "$out" | tail -n 1)
	field() { echo "$totals" | sed -n "s/.* $1:\([0-9]*\).*/\1/p"; }
	p=0 f=0 s=0
	if [ -n "$totals" ]; then
		p=$(($(field pass) + $(field xpass) + $(field xfail)))
		f=$(($(field fail) + $(field error)))
		s=$(field skip)
	fi
	if [ "$st" -ne 0 ] && [ "$st" -ne 4 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	note="$p pass, $f fail, $s skip, $(($(date +%s) - start)) s"
	if [ "$f" -eq 0 ]; then
		echo "ok $n selftests: libipc: $name # $note"
	else
		echo "not ok $n selftests: libipc: $name # $note (exit status $st)"
		rc=1
	fi
	rm -f "$out"
done
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
exit $rc
