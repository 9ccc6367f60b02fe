#!/bin/bash
# Releases of the app without downtime, on a server with only Docker, Compose, curl and flock
# (docs/release.md is the runbook). Run from the checkout, beside compose.prod.yml.
#
#   deploy/release.sh release VERSION  migrate with VERSION's image, start its replicas beside
#                                      the running ones, cut over once each serves through the
#                                      proxy, then watch; a breach rolls back by itself
#   deploy/release.sh rollback         the same, back to the release recorded before this one
#   deploy/release.sh status           what serves now, and what served before
#
# Exit status: 0 released; 1 not released (nothing was cut over: the running version still
# serves); 2 bad input or environment (nothing changed); 3 released, then rolled back by the
# watch window (the previous version serves again); 4 the rollback itself failed (say so loudly).
#
# Environment (all optional):
#   COMPOSE_FILE, COMPOSE_PROJECT_NAME  which stack (Compose's own variables; default
#                                       compose.prod.yml, whose project is stackproof-prod)
#   RELEASE_STATE_DIR       where the served and previous releases are recorded (.release)
#   RELEASE_ENV_FILE        the .env whose APP_VERSION line is kept on the served release (.env)
#   RELEASE_HEALTH_SECONDS  how long new replicas get to turn healthy and serve (120)
#   RELEASE_WATCH_SECONDS   the watch window after cutover (60)
#   RELEASE_MAX_ERROR_RATIO share of 5xx answers in the window that rolls back (0.02)
#   RELEASE_MAX_P95_SECONDS p95 of request time in the window that rolls back (1.5)
#   RELEASE_MIN_REQUESTS    answers the window needs before judging the ratio (20)
#   RELEASE_PROBE_PATHS     paths requested through the proxy while watching
#   RELEASE_CA_FILE         CA the site's certificate chains to, when not a public one
set -euo pipefail

STATE_DIR=${RELEASE_STATE_DIR:-.release}
ENV_FILE=${RELEASE_ENV_FILE:-.env}
HEALTH_SECONDS=${RELEASE_HEALTH_SECONDS:-120}
WATCH_SECONDS=${RELEASE_WATCH_SECONDS:-60}
MAX_ERROR_RATIO=${RELEASE_MAX_ERROR_RATIO:-0.02}
MAX_P95_SECONDS=${RELEASE_MAX_P95_SECONDS:-1.5}
MIN_REQUESTS=${RELEASE_MIN_REQUESTS:-20}
PROBE_PATHS=${RELEASE_PROBE_PATHS:-/ /lessons /api/lessons /api/symbols /analysis /healthz}
export COMPOSE_FILE=${COMPOSE_FILE:-compose.prod.yml}

log() { printf 'release: %s\n' "$*" >&2; }
die() { local status=$1; shift; log "error: $*"; exit "$status"; }

compose() { docker compose "$@"; }

# --- what runs ----------------------------------------------------------------------------

# The running app containers' ids, one per line.
app_containers() { compose ps -q --status running app; }

# The backend address of each container given.
addresses_of() {
    local id
    for id in "$@"; do
        docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$id" | awk '{ print $1 }'
    done
}

# The image repository of the app (stackproof/app), as the compose file names it.
app_repository() {
    local image
    image=$(APP_VERSION=probe compose config --images app 2>&1) ||
        die 2 "docker compose config failed for $COMPOSE_FILE: $image"
    image=$(head -n 1 <<<"$image")
    [[ $image == *:probe ]] || die 2 "the app's image in $COMPOSE_FILE does not follow APP_VERSION (got $image)"
    echo "${image%:probe}"
}

# The routes nginx has now, sorted.
proxy_upstream() { compose exec -T proxy entrypoint.sh upstream | tr ' ' '\n' | sed '/^$/d' | sort; }

sorted() { printf '%s\n' "$@" | sed '/^$/d' | sort; }

# --- the record -----------------------------------------------------------------------------

# `version image-id` of the served release, or of the one before.
recorded() { cat "$STATE_DIR/$1" 2>/dev/null || true; }

record() {
    printf '%s %s\n' "$2" "$3" >"$STATE_DIR/$1.new" && mv "$STATE_DIR/$1.new" "$STATE_DIR/$1"
    printf '%s %s %s %s\n' "$(date -u +%FT%TZ)" "$1" "$2" "$3" >>"$STATE_DIR/history"
}

# Keeps the env file's APP_VERSION on the served release, so a later `docker compose up -d`
# starts the same one (a new file keeps the others' lines and mode; written by rename).
remember_in_env_file() {
    [[ -f $ENV_FILE ]] || { log "no $ENV_FILE: remember APP_VERSION=$1 yourself"; return 0; }
    { grep -v '^APP_VERSION=' "$ENV_FILE" || true; echo "APP_VERSION=$1"; } >"$ENV_FILE.release"
    chmod --reference="$ENV_FILE" "$ENV_FILE.release"
    mv "$ENV_FILE.release" "$ENV_FILE"
}

# --- the site, seen from this host ----------------------------------------------------------

# Sets SITE_NAME, SITE_IP and SITE_PORT: where the proxy's HTTPS is published on this host.
find_site() {
    local published
    published=$(compose port proxy 8443) || die 2 "the proxy publishes no HTTPS port: is the stack up?"
    SITE_PORT=${published##*:}
    SITE_IP=${published%:*}
    [[ $SITE_IP == 0.0.0.0 || $SITE_IP == "::" || $SITE_IP == "[::]" ]] && SITE_IP=127.0.0.1
    SITE_NAME=$(compose exec -T proxy printenv SERVER_NAME) || die 2 "cannot read the proxy's SERVER_NAME"
}

# GET $1 through the proxy, as a client would; prints the status (000: no answer).
probe() {
    local ca=()
    [[ -n ${RELEASE_CA_FILE:-} ]] && ca=(--cacert "$RELEASE_CA_FILE")
    curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "${ca[@]}" \
        --resolve "$SITE_NAME:$SITE_PORT:$SITE_IP" "https://$SITE_NAME:$SITE_PORT$1" 2>/dev/null || true
}

# The proxy's access log since $1 (an RFC 3339 time), as `status request_time upstream_addr`.
answers_since() {
    compose logs --no-log-prefix --since "$1" proxy 2>/dev/null |
        sed -n 's/.*"status":\([0-9]*\),.*"request_time":\([0-9.]*\),.*"upstream_addr":"\([^"]*\)".*/\1 \2 \3/p'
}

# --- steps ----------------------------------------------------------------------------------

# Waits until every container given is healthy; on an exit, `unhealthy` or the deadline, says
# why and fails.
wait_healthy() {
    local deadline=$((SECONDS + HEALTH_SECONDS)) id state pending
    while true; do
        pending=0
        for id in "$@"; do
            state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
            case $state in
                "running healthy") ;;
                "running unhealthy")
                    REASON="replica ${id:0:12} turned unhealthy: $(last_health "$id")"
                    return 1 ;;
                running*) pending=$((pending + 1)) ;;
                *)
                    REASON="replica ${id:0:12} is ${state%% *}: $(docker logs --tail 5 "$id" 2>&1 | tr '\n' ' ')"
                    return 1 ;;
            esac
        done
        ((pending == 0)) && return 0
        if ((SECONDS >= deadline)); then
            REASON="$pending new replica(s) not healthy within ${HEALTH_SECONDS}s: $(last_health "$1")"
            return 1
        fi
        sleep 2
    done
}

last_health() {
    docker inspect -f '{{if .State.Health}}{{range .State.Health.Log}}{{.ExitCode}}: {{.Output}}{{end}}{{end}}' "$1" |
        tail -c 300 | tr '\n' ' '
}

# Waits until the proxy routes to every address given (and maybe others), then until each has
# answered a request through the published port.
wait_serving() {
    local deadline=$((SECONDS + HEALTH_SECONDS)) since address missing routes
    since=$(date -u +%FT%TZ)
    while true; do
        routes=$(proxy_upstream)
        missing=()
        for address in "$@"; do
            grep -qxF "$address" <<<"$routes" || missing+=("$address")
        done
        if ((${#missing[@]} == 0)); then
            for _ in 1 2 3 4 5 6 7 8; do probe /healthz >/dev/null; done
            local served
            served=$(answers_since "$since" | awk '$1 < 500 { print $3 }')
            for address in "$@"; do
                grep -qF "$address:" <<<"$served" || missing+=("$address")
            done
            ((${#missing[@]} == 0)) && return 0
        fi
        if ((SECONDS >= deadline)); then
            REASON="the proxy does not serve from ${missing[*]} within ${HEALTH_SECONDS}s (it routes to: ${routes//$'\n'/ })"
            return 1
        fi
        sleep 1
    done
}

# Stops routing to the containers given, waits until nginx has reloaded without them, then
# stops them gracefully (gunicorn finishes in-flight requests within stop_grace_period) and
# removes them.
drain_and_remove() {
    (($# > 0)) || return 0
    local addresses deadline=$((SECONDS + 60))
    mapfile -t addresses < <(addresses_of "$@")
    compose exec -T proxy entrypoint.sh drain "${addresses[@]}" >/dev/null
    while proxy_upstream | grep -qxF -f <(printf '%s\n' "${addresses[@]}"); do
        ((SECONDS < deadline)) || die 4 "the proxy still routes to ${addresses[*]} after 60s"
        sleep 1
    done
    # nginx's old workers finish the requests they hold; give them a moment to hand over.
    sleep 2
    docker stop "$@" >/dev/null
    docker rm "$@" >/dev/null
    # Docker gives freed addresses to the next containers: they must not start out drained.
    compose exec -T proxy entrypoint.sh undrain "${addresses[@]}" >/dev/null
}

# Removes the new containers of a release that did not cut over; the proxy may already route
# to some of them (ready, but the others were not), so they are drained like old ones.
discard() {
    NEW_IDS=()
    drain_and_remove "$@"
}

# Ctrl-C or a kill before cutover: the new containers go, the old ones never stopped serving.
interrupted() {
    trap - INT TERM
    if ((${#NEW_IDS[@]} > 0)); then
        log "interrupted before cutover: removing the new replicas"
        discard "${NEW_IDS[@]}"
    fi
    die 1 "interrupted; the running version still serves"
}
NEW_IDS=()
REASON=""
trap interrupted INT TERM

# Starts $1 replicas of image tag $2 beside the running ones; prints the new containers' ids.
start_beside() {
    local want=$1 version=$2 old new id
    old=$(app_containers)
    local total=$(($(grep -c . <<<"$old" || true) + want))
    APP_VERSION=$version compose up -d --no-deps --no-recreate --scale "app=$total" app >&2
    new=$(app_containers)
    for id in $new; do
        grep -qxF "$id" <<<"$old" || echo "$id"
    done
}

# 5xx ratio and p95 of the answers since $1 breach the limits? Sets REASON and returns 0 if so.
breached() {
    local verdict
    verdict=$(answers_since "$1" | sort -k2,2n | awk -v max_ratio="$MAX_ERROR_RATIO" \
        -v max_p95="$MAX_P95_SECONDS" -v min="$MIN_REQUESTS" '
        { n++; if ($1 >= 500) errors++; times[n] = $2 }
        END {
            if (n == 0) { print "ok 0 answers"; exit }
            p95 = times[int(0.95 * (n - 1)) + 1]
            ratio = errors / n
            if (n >= min && ratio > max_ratio) printf "breach %d of %d answers were 5xx (%.1f%% > %.1f%%)\n", errors, n, 100 * ratio, 100 * max_ratio
            else if (n >= min && p95 > max_p95) printf "breach p95 request time %.3fs > %ss over %d answers\n", p95, max_p95, n
            else printf "ok %d answers, %d 5xx, p95 %.3fs\n", n, errors, p95
        }')
    REASON=${verdict#* }
    [[ $verdict == breach* ]]
}

# Watches the site for WATCH_SECONDS after cutover, probing it; fails with REASON on a breach.
watch() {
    local since=$1 deadline=$((SECONDS + WATCH_SECONDS)) path
    while ((SECONDS < deadline)); do
        for path in $PROBE_PATHS; do probe "$path" >/dev/null; done
        if breached "$since"; then return 1; fi
        sleep 2
    done
    breached "$since" && return 1
    log "watch window passed: $REASON"
}

# Moves the app from the running containers to image tag $1 (id $2): start beside, wait healthy
# and serving, drain and stop the old ones. Returns 1 with REASON if the new ones never served
# (they are removed again; the old ones never stopped serving).
cut_over() {
    local version=$1 old new
    mapfile -t old < <(app_containers)
    local count=${#old[@]}
    ((count > 0)) || count=${APP_REPLICAS:-2}
    log "starting $count replica(s) of $version beside ${#old[@]} running"
    mapfile -t new < <(start_beside "$count" "$version")
    ((${#new[@]} > 0)) || { REASON="compose started no new replica"; return 1; }
    NEW_IDS=("${new[@]}")
    local new_addresses
    mapfile -t new_addresses < <(addresses_of "${new[@]}")
    if ! wait_healthy "${new[@]}" || ! wait_serving "${new_addresses[@]}"; then
        discard "${new[@]}"
        return 1
    fi
    NEW_IDS=()
    CUTOVER_AT=$(date -u +%FT%TZ)
    log "$version serves from ${#new[@]} replica(s); draining ${#old[@]} old"
    # Cut over already: a failure from here on leaves old replicas behind, not the release undone.
    drain_and_remove "${old[@]}" ||
        log "warning: the old replicas ${old[*]} were not all drained and removed: see them with 'status'"
}

# The image id of tag $1, or nothing.
image_id() { docker image inspect -f '{{.Id}}' "$REPOSITORY:$1" 2>/dev/null || true; }

preflight() {
    command -v curl >/dev/null || die 2 "curl is needed to check the site through the proxy: install it"
    command -v flock >/dev/null || die 2 "flock (util-linux) is needed for the release lock: install it"
    docker info >/dev/null 2>&1 || die 2 "cannot reach the Docker engine${DOCKER_HOST:+ at $DOCKER_HOST}: is it running, may you use it?"
    docker compose version >/dev/null 2>&1 || die 2 "docker compose (the v2 plugin) is not installed"
    mkdir -p "$STATE_DIR"
    exec 9>"$STATE_DIR/lock"
    flock -n 9 || die 2 "another release is running (it holds $STATE_DIR/lock: $(cat "$STATE_DIR/lock.owner" 2>/dev/null))"
    echo "pid $$ since $(date -u +%FT%TZ): $0 $*" >"$STATE_DIR/lock.owner"
    REPOSITORY=$(app_repository)
    find_site
}

# The served release: recorded, else what the running containers run.
served() {
    local current id
    current=$(recorded current)
    if [[ -n $current ]]; then echo "$current"; return; fi
    id=$(app_containers | head -n 1)
    [[ -n $id ]] || return 0
    local image
    image=$(docker inspect -f '{{.Config.Image}}' "$id")
    echo "${image##*:} $(docker inspect -f '{{.Image}}' "$id")"
}

release() {
    local version=${1:-} from from_version from_id
    [[ $version =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] ||
        die 2 "usage: release VERSION (a Docker tag: letters, digits, . _ -), got '${version}'"
    preflight release "$version"
    local id
    id=$(image_id "$version")
    [[ -n $id ]] || die 2 "no image $REPOSITORY:$version on this host: build it (APP_VERSION=$version docker compose -f compose.prod.yml build app) or pull it"
    from=$(served)
    read -r from_version from_id <<<"$from" || true
    [[ ${from_version:-} != "$version" ]] || die 2 "$version is already served"
    log "releasing $version (${id:7:12}) over ${from_version:-nothing}"
    log "migrating with $version (migrations only add, so ${from_version:-the running version} keeps working)"
    APP_VERSION=$version compose run --rm --no-deps -T migrate >&2 ||
        die 1 "the migrations of $version failed: nothing cut over, ${from_version:-the running version} still serves"
    local started=$SECONDS
    cut_over "$version" || die 1 "$version not released: $REASON; ${from_version:-the running version} still serves"
    [[ -n ${from_version:-} ]] && record previous "$from_version" "$from_id"
    record current "$version" "$id"
    remember_in_env_file "$version"
    log "cut over to $version in $((SECONDS - started))s; watching for ${WATCH_SECONDS}s"
    if watch "$CUTOVER_AT"; then
        log "released $version"
        return 0
    fi
    local why=$REASON
    log "ROLLING BACK $version: $why"
    [[ -n ${from_version:-} ]] || die 4 "no earlier release to roll back to: $version still serves"
    back_to "$from_version" "$from_id" || die 4 "the rollback to $from_version failed too: $REASON; $version still serves"
    record previous "$version" "$id"
    log "rolled back to $from_version after $version breached the watch window: $why"
    exit 3
}

# Returns to release $1 (image id $2): the tag is put back on that image if it moved.
back_to() {
    local version=$1 id=$2 started=$SECONDS
    if [[ $(image_id "$version") != "$id" ]]; then
        docker image inspect "$id" >/dev/null 2>&1 ||
            { REASON="image ${id:7:12} of $version is gone from this host"; return 1; }
        log "$REPOSITORY:$version moved; tagging ${id:7:12} as $version again"
        docker tag "$id" "$REPOSITORY:$version"
    fi
    cut_over "$version" || return 1
    record current "$version" "$id"
    remember_in_env_file "$version"
    log "back on $version in $((SECONDS - started))s"
}

rollback() {
    preflight rollback
    local previous_version previous_id current_version current_id
    read -r previous_version previous_id <<<"$(recorded previous)" || true
    [[ -n ${previous_version:-} ]] || die 2 "no previous release recorded in $STATE_DIR/previous"
    read -r current_version current_id <<<"$(served)" || true
    log "rolling back from ${current_version:-nothing} to $previous_version"
    back_to "$previous_version" "$previous_id" || die 1 "rollback not done: $REASON; ${current_version:-the running version} still serves"
    [[ -n ${current_version:-} ]] && record previous "$current_version" "$current_id"
    log "rolled back to $previous_version"
}

status() {
    echo "served:   $(recorded current)"
    echo "previous: $(recorded previous)"
    local id
    for id in $(app_containers); do
        docker inspect -f '  {{.Name}} {{.Config.Image}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id"
    done
}

case ${1:-} in
    release) shift; release "$@" ;;
    rollback) rollback ;;
    status) status ;;
    *) die 2 "usage: $0 release VERSION | rollback | status" ;;
esac
