#!/bin/sh
# Renders an Alertmanager config template (see alertmanager.yml.tmpl) from the environment to
# stdout. Required: ALERT_WEBHOOK_URL (or ALERT_WEBHOOK_URL_FILE, for a URL holding a token).
# Optional: ALERT_PAGER_WEBHOOK_URL, ALERT_DEADMAN_WEBHOOK_URL (default: ALERT_WEBHOOK_URL),
# ALERT_GROUP_WAIT (30s), ALERT_GROUP_INTERVAL (5m); email needs all of ALERT_EMAIL_TO, ALERT_SMTP_SMARTHOST,
# ALERT_EMAIL_FROM, plus ALERT_SMTP_PASSWORD_FILE and ALERT_SMTP_USERNAME (default: the sender)
# when the server wants a login.
set -eu
template=${1:?usage: render.sh TEMPLATE}

if [ -n "${ALERT_WEBHOOK_URL_FILE:-}" ]; then
  ALERT_WEBHOOK_URL=$(cat "$ALERT_WEBHOOK_URL_FILE")
fi
: "${ALERT_WEBHOOK_URL:?must be set (or ALERT_WEBHOOK_URL_FILE)}"
: "${ALERT_PAGER_WEBHOOK_URL:=$ALERT_WEBHOOK_URL}"
: "${ALERT_DEADMAN_WEBHOOK_URL:=$ALERT_WEBHOOK_URL}"
: "${ALERT_GROUP_WAIT:=30s}"
: "${ALERT_GROUP_INTERVAL:=5m}"
: "${ALERT_SMTP_USERNAME:=${ALERT_EMAIL_FROM:-}}"
# Email is all or nothing: a half-configured receiver would fail only at the first alert.
set -- "${ALERT_EMAIL_TO:-}" "${ALERT_SMTP_SMARTHOST:-}" "${ALERT_EMAIL_FROM:-}"
if [ -n "$1$2$3" ] && { [ -z "$1" ] || [ -z "$2" ] || [ -z "$3" ]; }; then
  echo "render: set all of ALERT_EMAIL_TO, ALERT_SMTP_SMARTHOST, ALERT_EMAIL_FROM, or none" >&2
  exit 64
fi
export ALERT_WEBHOOK_URL ALERT_PAGER_WEBHOOK_URL ALERT_DEADMAN_WEBHOOK_URL ALERT_GROUP_WAIT \
  ALERT_GROUP_INTERVAL ALERT_SMTP_USERNAME

# awk, not sed: values are inserted literally (no '&' or '\' surprises). Values land in
# double-quoted YAML strings, so quotes, backslashes and newlines are refused.
exec awk -v template="${template##*/}" '
function fail(msg) { print "render: " msg > "/dev/stderr"; failed = 1; exit 64 }
BEGIN { depth = 0; keep[0] = 1; print "# Rendered from " template " by render.sh: edit the template, not this file." }
/^#if [A-Za-z_][A-Za-z0-9_]*$/ { depth++; keep[depth] = keep[depth - 1] && ENVIRON[$2] != ""; next }
/^#endif$/ { if (!depth) fail("#endif without #if at line " NR); depth--; next }
!keep[depth] { next }
/^[ \t]*#/ { print; next }  # comments are copied as they are
{
  rest = $0; out = ""
  while (match(rest, /[$][{][A-Za-z_][A-Za-z0-9_]*[}]/)) {
    name = substr(rest, RSTART + 2, RLENGTH - 3)
    if (!(name in ENVIRON)) fail("${" name "} is not set (line " NR ")")
    if (ENVIRON[name] ~ /["\\\n]/) fail(name " holds a quote, backslash or newline")
    out = out substr(rest, 1, RSTART - 1) ENVIRON[name]
    rest = substr(rest, RSTART + RLENGTH)
  }
  print out rest
}
END { if (!failed && depth) fail("#if without #endif"); if (failed) exit 64 }
' "$template"
