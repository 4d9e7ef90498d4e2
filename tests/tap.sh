# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# TAP for the shell suites outside e2e (sourced): check NAME CMD... runs one
# test, tap_end prints the plan and fails when any test did.
n=0 failed=0

check() {	# name, then a command that must succeed
	local name=$1
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}

tap_end() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
