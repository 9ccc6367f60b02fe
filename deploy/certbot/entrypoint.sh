#!/bin/bash
# Obtain the certificate once, then renew it every RENEW_SECONDS; publish it where nginx reads.
# A failure is logged and retried after RETRY_SECONDS: this container never exits on its own,
# so a CA outage cannot crash-loop the stack (the proxy keeps its current certificate).
#
# Env:
#   SERVER_NAME      domain to certify (required)
#   ACME_EMAIL       account contact; empty registers without one
#   ACME_DIRECTORY   default Let's Encrypt production
#   ACME_STAGING=1   use Let's Encrypt staging instead (ignored when ACME_DIRECTORY is set)
#   ACME_CA_BUNDLE   CA file trusted for the ACME server's own TLS (Pebble's test CA)
#   RENEW_SECONDS    default 43200 (12 h); RETRY_SECONDS default 900 (15 min: stays under
#                    Let's Encrypt's limit of 5 failed validations per hostname per hour)
set -uo pipefail

: "${SERVER_NAME:?SERVER_NAME is required}"
if [[ -z ${ACME_DIRECTORY:-} && ${ACME_STAGING:-0} == 1 ]]; then
    ACME_DIRECTORY=https://acme-staging-v02.api.letsencrypt.org/directory
fi
ACME_DIRECTORY=${ACME_DIRECTORY:-https://acme-v02.api.letsencrypt.org/directory}
RENEW_SECONDS=${RENEW_SECONDS:-43200}
RETRY_SECONDS=${RETRY_SECONDS:-900}
STATE=/var/lib/certbot
LINEAGE=$STATE/config/live/$SERVER_NAME
OUT=/etc/stackproof/certs/live/$SERVER_NAME
# Private keys are group-readable by the proxy (gid 33) and by nobody else.
umask 027

log() { printf 'certbot-loop: %s\n' "$*" >&2; }

certbot_() {
    certbot "$@" --non-interactive --server "$ACME_DIRECTORY" \
        --config-dir "$STATE/config" --work-dir "$STATE/work" --logs-dir "$STATE/logs"
}

obtain() {
    local contact=(--register-unsafely-without-email)
    [[ -n ${ACME_EMAIL:-} ]] && contact=(--email "$ACME_EMAIL")
    certbot_ certonly --webroot -w /var/www/acme -d "$SERVER_NAME" --cert-name "$SERVER_NAME" \
        --agree-tos "${contact[@]}" --key-type ecdsa --elliptic-curve secp256r1
}

# certbot's live/ holds symlinks into archive/, which resolve only inside certbot's own state
# volume: publish regular files instead (install follows the links and sets 0640, where
# certbot's keys are 0600). Key first, chain last, each by rename: the proxy reloads when these
# change and tests the pair with `nginx -t` first, so it never switches to a half-written pair.
publish() {
    local f
    cmp -s "$LINEAGE/fullchain.pem" "$OUT/fullchain.pem" &&
        cmp -s "$LINEAGE/privkey.pem" "$OUT/privkey.pem" && return 0
    mkdir -p "$OUT" || return 1
    for f in privkey.pem fullchain.pem; do
        install -m 0640 "$LINEAGE/$f" "$OUT/.$f.new" && mv -f "$OUT/.$f.new" "$OUT/$f" || return 1
    done
    log "published $(describe_cert) to $OUT"
}

describe_cert() {
    python3 -c 'import sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
print("certificate issued by", c.issuer.rfc4514_string(), "expiring", c.not_valid_after)' \
        "$LINEAGE/cert.pem" 2>/dev/null || echo "certificate"
}

run_once() {
    if [[ -n ${ACME_CA_BUNDLE:-} ]]; then
        [[ -r $ACME_CA_BUNDLE ]] || { log "ACME_CA_BUNDLE $ACME_CA_BUNDLE not readable yet"; return 1; }
        export REQUESTS_CA_BUNDLE=$ACME_CA_BUNDLE
    fi
    if [[ -f $STATE/config/renewal/$SERVER_NAME.conf ]]; then
        certbot_ renew --cert-name "$SERVER_NAME" || return 1
    else
        log "no certificate for $SERVER_NAME yet: requesting one from $ACME_DIRECTORY"
        obtain || return 1
    fi
    publish
}

while true; do
    if run_once; then
        sleep "$RENEW_SECONDS"
    else
        log "attempt failed (see above); retrying in ${RETRY_SECONDS}s"
        sleep "$RETRY_SECONDS"
    fi
done
