#!/bin/bash
# Proxy entrypoint.
#   serve (default)  prepare TLS files, start the certificate watcher, exec nginx (PID 1, so
#                    docker's signals reach nginx itself: SIGQUIT graceful stop, SIGHUP reload)
#   health           HEALTHCHECK probe: stub_status answers 200 and the watcher is alive
#   drain ADDR...    stop routing to these replicas (a release, before it stops them); the
#                    watcher reloads nginx within REPLICA_POLL_SECONDS
#   undrain ADDR...  forget them again, once their containers are gone
#   upstream         print the replica addresses nginx routes to now
#   anything else    prepare, then exec it, e.g. `docker run IMAGE nginx -t`
set -euo pipefail

SERVER_NAME=${SERVER_NAME:-localhost}
CERT_DIR=/etc/stackproof/certs/live/$SERVER_NAME
CERT_POLL_SECONDS=${CERT_POLL_SECONDS:-60}
RUN_DIR=/run/nginx              # tmpfs; nginx reads $RUN_DIR/tls/{fullchain,privkey}.pem
APP_HOST=${APP_HOST:-app}       # the app's compose service name: Docker's DNS lists every replica
APP_PORT=${APP_PORT:-8000}
REPLICA_POLL_SECONDS=${REPLICA_POLL_SECONDS:-2}
READY_PATH=${READY_PATH:-/readyz}  # a replica is routed to only while this answers 200
DRAINED=$RUN_DIR/drained           # addresses being drained: never routed to again
BOOT_DIR=$RUN_DIR/bootstrap

log() { printf 'entrypoint: %s\n' "$*" >&2; }

# Self-signed, so the stack starts before certbot has run. Kept on tmpfs, never written to the
# shared volume: the proxy mounts certificates read-only and certbot never sees a fake one.
make_bootstrap() {
    mkdir -p "$BOOT_DIR"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/CN=$SERVER_NAME" -addext "subjectAltName=DNS:$SERVER_NAME" \
        -keyout "$BOOT_DIR/privkey.pem" -out "$BOOT_DIR/fullchain.pem" 2>/dev/null
    log "generated a 30-day self-signed bootstrap certificate for $SERVER_NAME"
}

# The real certificate wins as soon as both of its files are readable.
cert_source() {
    if [[ -r $CERT_DIR/fullchain.pem && -r $CERT_DIR/privkey.pem ]]; then
        echo "$CERT_DIR"
    else
        echo "$BOOT_DIR"
    fi
}

# Changes whenever the source switches or either file is rewritten.
cert_stamp() {
    local dir times; dir=$(cert_source)
    times=$(stat -L -c %Y "$dir/fullchain.pem" "$dir/privkey.pem" 2>/dev/null | tr '\n' ' ')
    echo "$dir ${times% }"
}

# Every replica's address, as Docker's DNS answers right now (empty while none runs).
replica_addresses() {
    getent ahostsv4 "$APP_HOST" | awk '{ print $1 }' | sort -u | tr '\n' ' '
}

# Whether the replica at $1 answers READY_PATH with 200 within a second. Docker's DNS lists a
# container as soon as it starts, and Compose keeps an unhealthy one running: without this, a
# replica still starting, or one whose database broke, would get requests.
replica_ready() {
    # shellcheck disable=SC2016  # expanded by the inner bash, from its arguments
    timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2" &&
        printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$3" "$4" >&3 &&
        read -r _ status _ <&3 && [[ $status == 200 ]]' _ "$1" "$APP_PORT" "$READY_PATH" "$APP_HOST" 2>/dev/null
}

# The replicas to route to: the DNS answer $1 less the drained ones and those not ready. When
# none is ready, every undrained one: a replica that answers 503 beats a proxy with nowhere to
# send (and a degraded app, say with a full disk, still serves its reads).
routable_addresses() {
    local address ready=() undrained=()
    for address in $1; do
        grep -qxF "$address" "$DRAINED" 2>/dev/null && continue
        undrained+=("$address")
        replica_ready "$address" && ready+=("$address")
    done
    if ((${#ready[@]})); then echo "${ready[*]}"; else echo "${undrained[*]}"; fi
}

# Rewrites the drain list through filter "$@" (stdin to stdout), under a lock: the watcher and
# `drain`/`undrain` (run by the release command) change it concurrently.
edit_drained() {
    (
        flock 8
        touch "$DRAINED"
        new=$DRAINED.$BASHPID
        "$@" <"$DRAINED" >"$new" || true
        mv "$new" "$DRAINED"
    ) 8>"$RUN_DIR/drained.lock"
}

# The lines of stdin that are among the words of $1.
keep_listed() {
    local address
    while read -r address; do
        [[ " $1 " == *" $address "* ]] && printf '%s\n' "$address"
    done
    return 0
}

# Forgets drained addresses DNS no longer lists (Docker may give one to a new container).
prune_drained() {
    [[ -s $DRAINED ]] || return 0
    edit_drained keep_listed "$1"
}

# nginx 1.22 resolves an upstream's server names once, at start: so the upstream block is
# written from the DNS answer, and rewritten (then nginx reloaded) whenever the answer changes.
# With no replica, one `down` server makes nginx answer 502 at once instead of failing to start.
write_upstream() {
    local addresses=$1 address
    {
        echo "upstream app {"
        [[ -n ${addresses// /} ]] || echo "    server 127.0.0.1:$APP_PORT down;"
        for address in $addresses; do
            echo "    server $address:$APP_PORT max_fails=1 fail_timeout=5s;"
        done
        # Idle connections kept per worker; below gunicorn's keepalive so nginx closes first.
        echo "    keepalive 16;"
        echo "    keepalive_timeout 50s;"
        echo "}"
    } >"$RUN_DIR/upstream.conf.new"
    mv "$RUN_DIR/upstream.conf.new" "$RUN_DIR/upstream.conf"
    echo "$addresses" >"$RUN_DIR/upstream.addresses"
}

# Compares what is routable now with what the upstream block was last written from (not with
# an answer of its own at start: a replica that appears between `prepare` and this loop would
# never be added).
watch_replicas() {
    set +e
    local written now dns
    while sleep "$REPLICA_POLL_SECONDS"; do
        dns=$(replica_addresses)
        prune_drained "$dns"
        now=$(routable_addresses "$dns")
        written=$(cat "$RUN_DIR/upstream.addresses")
        [[ $now == "$written" ]] && continue
        write_upstream "$now"
        if nginx -t -q && nginx -s reload; then
            log "app replicas now: ${now:-none} (of ${dns:-none} in DNS): nginx reloaded"
        else
            log "app replicas now: ${now:-none}, but nginx -t failed; retrying in ${REPLICA_POLL_SECONDS}s"
            echo "not loaded" >"$RUN_DIR/upstream.addresses"
        fi
    done
}

prepare() {
    mkdir -p "$RUN_DIR"
    write_upstream "$(routable_addresses "$(replica_addresses)")"
    [[ -s $BOOT_DIR/fullchain.pem ]] || make_bootstrap
    ln -sfn "$(cert_source)" "$RUN_DIR/tls"
    cert_stamp >"$RUN_DIR/tls.stamp"    # what nginx will start with; the watcher starts from it
    log "serving certificate from $(cert_source)"
}

# Polling, not inotify: certbot writes from another container, and polling needs no extra
# package. A pair caught half-written fails `nginx -t`; the old one stays until the next round.
watch_certs() {
    set +e
    local last now; last=$(cat "$RUN_DIR/tls.stamp")
    while sleep "$CERT_POLL_SECONDS"; do
        if [[ $(cert_source) == "$BOOT_DIR" ]] &&
            ! openssl x509 -checkend 86400 -noout -in "$BOOT_DIR/fullchain.pem" >/dev/null; then
            make_bootstrap
        fi
        now=$(cert_stamp)
        [[ $now == "$last" ]] && continue
        ln -sfn "$(cert_source)" "$RUN_DIR/tls"
        if nginx -t -q && nginx -s reload; then
            last=$now
            log "certificate changed ($now): nginx reloaded"
        else
            log "certificate changed but nginx -t failed; retrying in ${CERT_POLL_SECONDS}s"
        fi
    done
}

health() {
    local status
    exec 3<>/dev/tcp/127.0.0.1/8081
    printf 'GET /stub_status HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    IFS= read -r -t 2 status <&3
    [[ $status == *" 200 "* ]] || { echo "stub_status answered: $status"; exit 1; }
    kill -0 "$(cat "$RUN_DIR/watch.pid")" || { echo "certificate watcher is gone"; exit 1; }
    kill -0 "$(cat "$RUN_DIR/replicas.pid")" || { echo "replica watcher is gone"; exit 1; }
}

case ${1:-serve} in
    serve)
        prepare
        watch_certs &
        echo $! >"$RUN_DIR/watch.pid"
        watch_replicas &
        echo $! >"$RUN_DIR/replicas.pid"
        exec nginx -g 'daemon off;'
        ;;
    health)
        health
        ;;
    drain)
        shift
        for address in "$@"; do
            [[ $address =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || { log "drain: $address is not an IPv4 address"; exit 64; }
        done
        edit_drained sh -c 'cat; printf "%s\n" "$@"' _ "$@"
        log "draining $*: no new requests once nginx reloads"
        ;;
    undrain)
        # Once the drained containers are gone: Docker hands their addresses to new ones.
        shift
        edit_drained grep -vxF -f <(printf '%s\n' "$@")
        ;;
    upstream)
        cat "$RUN_DIR/upstream.addresses"
        ;;
    *)
        prepare
        exec "$@"
        ;;
esac
