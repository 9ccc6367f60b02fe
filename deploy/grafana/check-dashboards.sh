#!/usr/bin/env bash
# Static checks of Grafana dashboards (no Grafana server is needed):
#   - each has a uid (unique across files), a title and a schemaVersion;
#   - each panel has a unique id, a type, a title, the provisioned datasource uid, and targets
#     whose every expr is PromQL that Prometheus 2.42 parses;
#   - every recording-rule name (level:metric:op) a panel uses is defined in the rule files.
# promtool 2.42 has no "parse this expression" command, so the exprs become recording rules of
# a generated rule file that `promtool check rules` parses. Grafana's $__rate_interval-style
# macros become durations and template variables ($route) become `.*` first.
# usage: check-dashboards.sh [DASHBOARD.json...]   (default: every file in dashboards/)
# shellcheck disable=SC2016 # the single-quoted strings are jq programs, not shell
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rules_dir=$(cd "$here/../prometheus/rules" && pwd)
ds_uid=$(sed -n 's/^ *uid: *//p' "$here/provisioning/datasources/prometheus.yml")
(($#)) || set -- "$here"/dashboards/*.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
problems=0
problem() { echo "check-dashboards: $*"; problems=$((problems + 1)); }

# Rows may nest panels one level down; both levels are checked.
panels='def panels: [.panels[]? | ., (.panels[]?)] | map(select(.type != "row"));'
structure="$panels"'
  panels as $p
  | (if (.uid | type) != "string" or .uid == "" then "no uid" else empty end),
    (if (.title | type) != "string" or .title == "" then "no title" else empty end),
    (if (.schemaVersion | type) != "number" then "no schemaVersion" else empty end),
    (if ($p | length) == 0 then "no panels" else empty end),
    ($p | map(.id) | group_by(.) | map(select(length > 1)) | .[] | "panel id \(.[0]) used twice"),
    ($p[] | "panel \(.id // "?") (\(.title // "untitled"))" as $at
      | (if (.id | type) != "number" then "\($at): no numeric id" else empty end),
        (if (.type // "") == "" then "\($at): no type" else empty end),
        (if (.title // "") == "" then "\($at): no title" else empty end),
        (if .datasource.uid != $ds then "\($at): datasource uid is not \($ds)" else empty end),
        (if ((.targets // []) | length) == 0 then "\($at): no targets" else empty end),
        (.targets[]? | select((.expr // "") == "") | "\($at): target \(.refId // "?") has no expr"))'
# One recording rule per expr, named after where the expr came from.
as_rules="$panels"'
  (.uid // "nouid" | gsub("[^A-Za-z0-9_]"; "_")) as $uid
  | panels[] | .id as $id | .targets[]? | select(.expr)
  | "      - record: dashboard:\($uid):panel\($id)_\(.refId // "x")",
    "        expr: \(.expr | gsub("\\$__(rate_)?interval"; "1m") | gsub("\\$__range"; "1h")
                        | gsub("\\$\\{?[A-Za-z_][A-Za-z0-9_]*\\}?"; ".*") | tojson)"'
exprs="$panels"'panels[].targets[]?.expr // empty'

for file in "$@"; do
  name=${file##*/}
  if ! jq -e . "$file" >/dev/null 2>&1; then problem "$name: not JSON"; continue; fi
  jq -r '.uid // empty' "$file" >>"$work/uids"
  jq -r --arg ds "$ds_uid" "$structure" "$file" | sed "s|^|$name: |" >>"$work/structure"
  { echo "groups:"; echo "  - name: ${name%.json}"; echo "    rules:"; jq -r "$as_rules" "$file"; } \
    >"$work/$name.yml"
  if ! out=$(promtool check rules --lint=none "$work/$name.yml" 2>&1); then
    problem "$name: an expr does not parse:"; echo "$out" | grep -v '^Checking' | sed 's/^/    /'
  fi
  jq -r "$exprs" "$file" >>"$work/exprs"
done

if [[ -s $work/structure ]]; then
  while read -r line; do problem "$line"; done <"$work/structure"
fi
sort "$work/uids" | uniq -d | while read -r uid; do echo "uid $uid"; done >"$work/dup-uids"
while read -r line; do problem "$line is used by two dashboards"; done <"$work/dup-uids"

# Recording-rule names hide typos from the parser: compare them with the rule files.
grep -ho 'record: *[^ ]*' "$rules_dir"/*.yml | sed 's/record: *//' | sort -u >"$work/records"
sed 's/"[^"]*"//g' "$work/exprs" | grep -o '[A-Za-z_][A-Za-z0-9_]*:[A-Za-z0-9_:]*' | sort -u >"$work/used" || true
while read -r rec; do problem "recording rule $rec is not defined in $rules_dir"; done \
  < <(comm -23 "$work/used" "$work/records")

echo "check-dashboards: $# dashboards, $(wc -l <"$work/exprs") exprs checked, $problems problems"
((problems == 0))
