#!/usr/bin/env bash
# The helpers of tests/lib.sh that tests rely on for more than they show.
. "$(dirname "$0")/../lib.sh"

test_expect_success 'free_port: below the ephemeral range (32768-60999)' '
	for i in $(seq 300); do
		port=$(free_port) &&
		test "$port" -ge 10000 && test "$port" -le 32767 || {
			echo "free_port gave $port"; return 1; }
	done
'

test_done
