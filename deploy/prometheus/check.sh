#!/usr/bin/env bash
# Validates the monitoring configuration without starting any service, then proves that each
# check can fail, on the fixtures in tests/broken/. Needs promtool (Debian package prometheus),
# amtool (prometheus-alertmanager), jq and python3-yaml.
# usage: deploy/prometheus/check.sh        (from anywhere; exits non-zero on any failure)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1 # the repository root: runbooks live in docs/
P=deploy/prometheus AM=deploy/alertmanager
passed=0 failed=0

check() { # check NAME CMD...: CMD must succeed
  local out
  if out=$("${@:2}" 2>&1); then
    passed=$((passed + 1)); echo "ok    $1"
  else
    failed=$((failed + 1)); echo "FAIL  $1"; pr -to 6 <<<"$out"
  fi
}
rejects() { # rejects NAME CMD...: CMD must fail (a check run on a broken fixture)
  if "${@:2}" >/dev/null 2>&1; then
    failed=$((failed + 1)); echo "FAIL  $1 (the broken fixture was accepted)"
  else
    passed=$((passed + 1)); echo "ok    $1"
  fi
}
render() { # render [VAR=value...]: the Alertmanager template, from exactly these variables
  env -i PATH="$PATH" "$@" $AM/render.sh $AM/alertmanager.yml.tmpl
}
# shellcheck disable=SC2046 # one argument per line of example.env, on purpose
example_in_sync() { diff -u $AM/alertmanager.yml <(render $(grep -v '^#' $AM/example.env)); }
no_email_config() {
  local f; f=$(mktemp); render ALERT_WEBHOOK_URL=http://sink:9000/ >"$f" \
    && amtool check-config "$f" && $AM/tests/routes.sh "$f"; local rc=$?; rm -f "$f"; return $rc
}

check "promtool check config (and the rule files it names)" \
  promtool check config --lint=all --lint-fatal $P/prometheus.yml
check "promtool check rules --lint=all" promtool check rules --lint=all --lint-fatal $P/rules/*.yml
check "promtool test rules" promtool test rules $P/tests/*.yml
check "alert metadata, runbook anchors, firing+quiet tests" \
  python3 $P/lint-rules.py docs/runbooks.md $P/rules/*.yml --tests $P/tests/*.yml
check "alertmanager.yml is the template rendered with example.env" example_in_sync
check "amtool check-config alertmanager.yml" amtool check-config $AM/alertmanager.yml
check "alertmanager routes" $AM/tests/routes.sh $AM/alertmanager.yml
check "alertmanager without email: valid, same routes" no_email_config
check "grafana dashboards" deploy/grafana/check-dashboards.sh

rejects "lint-rules rejects a rule without runbook/severity" \
  python3 $P/lint-rules.py docs/runbooks.md $P/tests/broken/missing-runbook.rules.yml
rejects "rule tests catch a missing traffic guard" promtool test rules $P/tests/broken/no-guard_test.yml
rejects "check-dashboards rejects a broken dashboard" \
  deploy/grafana/check-dashboards.sh $P/tests/broken/bad-expr.dashboard.json
rejects "route tests catch a wrong receiver" \
  $AM/tests/routes.sh $AM/alertmanager.yml $P/tests/broken/routes-wrong.txt
rejects "render refuses half an email setup" render ALERT_WEBHOOK_URL=http://x/ ALERT_EMAIL_TO=a@b.c
rejects "render refuses a missing webhook URL" render

echo "check: $passed passed, $failed failed"
((failed == 0))
