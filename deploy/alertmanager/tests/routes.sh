#!/bin/sh
# Runs every case of a routes file through `amtool config routes test` and fails on a mismatch.
# usage: routes.sh ALERTMANAGER_YML [CASES_FILE]   (CASES_FILE defaults to routes.txt beside it)
set -u
config=${1:?usage: routes.sh ALERTMANAGER_YML [CASES_FILE]}
cases=${2:-$(dirname "$0")/routes.txt}
passed=0 failed=0
while read -r receiver labels; do
  case $receiver in '' | '#'*) continue ;; esac
  # shellcheck disable=SC2086 # labels are separate arguments on purpose
  if got=$(amtool config routes test --config.file="$config" --verify.receivers="$receiver" $labels 2>/dev/null); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "routes: FAIL {$labels}: expected $receiver, got $(echo "$got" | head -n 1)"
  fi
done <"$cases"
echo "routes: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
