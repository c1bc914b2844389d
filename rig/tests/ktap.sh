# SPDX-License-Identifier: GPL-2.0
# Sourced by the rig's host tests: check NAME CMD... prints one KTAP result
# and counts it; ktap_done NAME prints the totals and fails if one failed.
nr=0
failed=0
check() { # NAME CMD...
	nr=$((nr + 1))
	if "${@:2}"; then
		echo "ok $nr $1"
	else
		echo "not ok $nr $1"
		failed=$((failed + 1))
	fi
}
ktap_done() { # NAME
	echo "# $1: $((nr - failed)) passed, $failed failed"
	[ "$failed" = 0 ]
}
