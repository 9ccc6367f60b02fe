# Shared by the backup commands (sourced): settings, logging, the one lock, restic and SQLite
# helpers, and the metrics file node-exporter reads. The settings are used by those commands:
# shellcheck shell=bash disable=SC2034

DATABASE=${STOCKAPP_DATABASE:-/var/lib/stockapp/stockapp.db}
INTERVAL=${BACKUP_INTERVAL_SECONDS:-3600}
# The backup-cache volume: the lock, the snapshot being uploaded, temporary files, restic's cache.
WORK=/var/cache/backup
LOCK=$WORK/lock
METRICS=/var/lib/node-exporter/textfile/stackproof_backup.prom
# The name the database has inside every snapshot, whatever the live file is called.
SNAPSHOT_FILE=stockapp.db
# Snapshots are grouped (for `latest` and retention) by this host and tag, not by container name.
SNAPSHOT_HOST=stackproof
SNAPSHOT_TAG=stackproof-db

# Snapshots hold password hashes: nothing this service writes is for other users (but metrics).
umask 077
# Both on the backup-cache volume (see the Dockerfile); made again if it was emptied.
mkdir -p "$RESTIC_CACHE_DIR" "$TMPDIR"

log() { printf '%s %s: %s\n' "$(date -u +%FT%TZ)" "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Takes the lock every backup and restore holds, in whichever container they run (the volume
# is shared), waiting at most $1 seconds: jobs never overlap.
take_lock() {
    exec 9>>"$LOCK"
    flock -w "$1" 9 || die "another backup or restore still holds $LOCK after $1 s"
}

# Opens the repository. Returns 2 when there is none at RESTIC_REPOSITORY; 1 when it cannot be
# read, printing restic's reason (such as a wrong password).
open_repository() {
    local said
    said=$(restic cat config 2>&1 >/dev/null) && return 0
    grep -q 'Is there a repository at the following location' <<<"$said" && return 2
    sed -n 's/^Fatal: //p' <<<"$said" | head -n 1
    return 1
}

# sqlite3 on a file, read-only, waiting up to 30 s for a writer's lock.
sql() { sqlite3 -readonly -batch -bail -cmd '.timeout 30000' "$@"; }

# Succeeds when PRAGMA integrity_check finds nothing wrong with database $1.
intact() {
    local found
    found=$(sql "$1" 'PRAGMA integrity_check' 2>&1)
    [[ $found == ok ]] && return 0
    log "$1 fails PRAGMA integrity_check: $(head -n 3 <<<"$found" | tr '\n' ' ')"
    return 1
}

# Prints the schema version of database $1: the latest of schema_migrations, which must hold
# every version from 1 up to it.
schema_version() {
    local row count latest
    row=$(sql "$1" 'SELECT count(*), max(version) FROM schema_migrations' 2>&1) || {
        log "$1 has no readable schema_migrations table: $row"
        return 1
    }
    IFS='|' read -r count latest <<<"$row"
    if [[ $count == 0 || $count != "$latest" ]]; then
        log "$1: schema_migrations holds $count versions up to ${latest:-none}, not 1 to N"
        return 1
    fi
    echo "$latest"
}

# The value of metric $1 in the metrics file, if it is there.
metric() { awk -v name="$1" '$1 == name { print $2 }' "$METRICS" 2>/dev/null; }

gauge() { printf '# HELP %s %s\n# TYPE %s gauge\n%s %s\n' "$1" "$2" "$1" "$1" "$3"; }

# Publishes a run's result: success (0/1), end time, duration, database size. The last success
# and its size carry over from the file when this run failed, and stay absent until a first
# success (so an alert on their absence can fire). Written beside the file and renamed, so
# node-exporter never reads half of it; the temporary name does not end in .prom, so it is
# never collected.
publish() {
    local success=$1 finished=$2 duration=$3 size=$4 last_success tmp
    last_success=$(metric stackproof_backup_last_success_timestamp_seconds)
    if [[ $success == 1 ]]; then last_success=$finished; else size=$(metric stackproof_backup_size_bytes); fi
    tmp=$(mktemp "$METRICS.XXXXXX") || return 1
    {
        gauge stackproof_backup_last_run_timestamp_seconds "Unix time the last backup run ended." "$finished"
        gauge stackproof_backup_last_run_success "1 if the last backup run succeeded, else 0." "$success"
        gauge stackproof_backup_duration_seconds "Duration of the last backup run." "$duration"
        if [[ -n $last_success ]]; then
            gauge stackproof_backup_last_success_timestamp_seconds "Unix time the last successful backup ended." "$last_success"
        fi
        if [[ -n $size ]]; then
            gauge stackproof_backup_size_bytes "Size of the database in the last successful backup." "$size"
        fi
    } >"$tmp"
    chmod 0644 "$tmp" && mv -f "$tmp" "$METRICS"
}
