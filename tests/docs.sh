#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The docs stay true: every option --help lists is in the README and the man
# page, and every output field the sinks write is documented in both.
set -uo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=tests/tap.sh
. tests/tap.sh

missing_in() {	# file, words...: print the words the file lacks
	local file=$1 w rc=0
	shift
	for w in "$@"; do
		if ! grep -qF -- "$w" "$file"; then
			echo "$file lacks $w"
			rc=1
		fi
	done
	return $rc
}

# man pages escape '-' as '\-'
missing_in_man() {
	local w rc=0
	for w in "$@"; do
		if ! grep -qF -- "${w//-/\\-}" doc/porttrace.8 && ! grep -qF -- "$w" doc/porttrace.8; then
			echo "doc/porttrace.8 lacks $w"
			rc=1
		fi
	done
	return $rc
}

# here-strings, not <(...): process substitution needs /dev/fd, and without
# it the lists came out empty and every check below passed on nothing
opts_text=$(./porttrace --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u)
fields_text=$(grep -oE '\[PT_FLD_[A-Z_]+\] = "[a-z_]+"' user/output/record.c | sed 's/.*= "\(.*\)"/\1/')
mapfile -t opts <<<"$opts_text"
mapfile -t fields <<<"$fields_text"

check "--help lists options" test "${#opts[@]}" -gt 20
check "README documents every option" missing_in README.md "${opts[@]}"
check "man page documents every option" missing_in_man "${opts[@]}"
check "record.c has the output fields" test "${#fields[@]}" -ge 28
check "README documents every output field" missing_in README.md "${fields[@]/#/\`}"
check "man page documents every output field" missing_in_man "${fields[@]}"
check "README names both commands" missing_in README.md "make run" "make test"
check ".ci/run calls make test" grep -q 'make test' .ci/run
tap_end
