#!/bin/sh
# Writes the site-probe target file from the environment, then starts Prometheus.
# Prometheus cannot expand variables in prometheus.yml, so the one per-deployment value
# (the public name the certificate is checked against) arrives through file_sd.
#   SERVER_NAME        public host name of the site (required)
#   SITE_PROBE_MODULE  blackbox module: https_healthz (verify, default) or https_healthz_insecure
set -eu
: "${SERVER_NAME:?must be the public host name of the site}"
module=${SITE_PROBE_MODULE:-https_healthz}
case $SERVER_NAME$module in
*[!A-Za-z0-9._-]*) echo "entrypoint: SERVER_NAME or SITE_PROBE_MODULE has odd characters" >&2; exit 64 ;;
esac
mkdir -p /tmp/prometheus
cat >/tmp/prometheus/site-probes.json <<JSON
[{"targets": ["https://proxy:8443/healthz"],
  "labels": {"instance": "https://$SERVER_NAME/healthz",
             "__param_hostname": "$SERVER_NAME", "__param_module": "$module"}}]
JSON
exec prometheus "$@"
