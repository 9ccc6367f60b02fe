#!/bin/sh
# Publish the CA of Pebble's own TLS certificate for ACME clients, then become pebble.
# httpPort 8080 in the config: HTTP-01 is checked on the proxy's container port, because on the
# compose network nothing translates 80 -> 8080 the way the host's published port does.
set -eu
if [ -d /srv/pebble-ca ] && [ -w /srv/pebble-ca ]; then
    cp /etc/pebble/tls/ca.pem /srv/pebble-ca/pebble-ca.pem.new
    mv /srv/pebble-ca/pebble-ca.pem.new /srv/pebble-ca/pebble-ca.pem
else
    echo "entrypoint: /srv/pebble-ca not writable; CA stays at /etc/pebble/tls/ca.pem" >&2
fi
# -strict false: keep the client-compatible behaviour (pebble plans to flip the default).
exec pebble -config /etc/pebble/pebble-config.json -strict=false "$@"
