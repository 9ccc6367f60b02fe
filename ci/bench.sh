#!/usr/bin/env bash
# Benchmarks the proxied site side by side in one run, on this machine only (127.0.0.1):
#   1. client: loadtest (Goose, loadtests/bench.yml: 8 users, the home page back to back)
#      against wrk with 8 connections on the same proxied URL      goal: loadtest >= 0.85 x wrk
#   2. proxy:  wrk through nginx (HTTPS) against wrk straight to the same gunicorn replica,
#      whose port only this script's overlay publishes, on 127.0.0.1  goal: proxied >= 0.6 x direct
#   3. latency at half capacity: loadtest capped at half the proxied capacity, p95 and p99
# The stack is compose.prod.yml's migrate, one app replica and the proxy (no monitoring: it
# would take CPU from the figures), torn down on exit. Every figure is void unless no request
# failed (nginx answers errors fast): a void figure or a missed goal exits 1.
# BENCH_SECONDS (default 15) sets each measurement's length. Results: target/bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${BENCH_SECONDS:-15}
CONNECTIONS=8 # the bench profile's users
SITE=stackproof.test
OUT=target/bench

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 2; }

ensure_wrk() {
  command -v wrk >/dev/null && return
  say "installing wrk (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}

# make_certs DIR: a throwaway CA and a certificate for $SITE laid out as certbot does (like
# stackproof::probe::tls::TestCa).
make_certs() {
  local dir=$1 live=$1/certs/live/$SITE
  mkdir -p "$live"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 \
    -subj "/CN=stackproof bench CA" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$live/privkey.pem" -out "$dir/server.csr" -subj "/CN=$SITE" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$SITE" >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/server.ext" -out "$live/fullchain.pem" 2>/dev/null
  chmod -R a+rX "$dir/certs"
}

compose() { docker compose -f compose.prod.yml -f "$WORK/bench.yml" "$@"; }

# wait_healthy SERVICE: until its container reports healthy (120 s at most).
wait_healthy() {
  local id status
  for _ in $(seq 120); do
    id=$(compose ps -q "$1")
    status=$(docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null || true)
    [[ $status == healthy ]] && return
    sleep 1
  done
  compose logs --tail 50 >&2 || true
  die "$1 is not healthy after 120 s (last: ${status:-no container})"
}

# host_port SERVICE PORT: the loopback port publishing it.
host_port() { compose port "$1" "$2" | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p'; }

# wrk_rps URL: requests/s, or "void: ..." when any request failed.
wrk_rps() {
  local report
  report=$(timeout $((SECONDS_EACH + 30)) wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" -H "Host: $SITE" "$1")
  printf '%s\n' "$report" >>"$OUT/wrk.log"
  if grep -qE '^ *(Non-2xx or 3xx responses|Socket errors):' <<<"$report"; then
    echo "void: $(grep -E '^ *(Non-2xx or 3xx responses|Socket errors):' <<<"$report" | tr -s ' ' | tr '\n' ' ')"
  else
    awk '/^Requests\/sec:/ {print $2}' <<<"$report"
  fi
}

# loadtest NAME [ARGS...]: runs the bench profile against the proxy; prints summary.json's path.
loadtest() {
  local name=$1; shift
  target/release/loadtest --profile loadtests/bench.yml --base-url "https://$SITE:$HTTPS/" --ca "$WORK/ca.pem" \
    --report-dir "$OUT/$name" "$@" >"$OUT/$name.log" 2>&1 || true
  [[ -f $OUT/$name/summary.json ]] || { tail -20 "$OUT/$name.log" >&2; die "loadtest $name wrote no summary"; }
  echo "$OUT/$name/summary.json"
}

# figure SUMMARY EXPR: a Python expression over the summary's `observed` (o), or "void: ..."
# when any request failed.
figure() {
  python3 - "$1" "$2" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))["observed"]
if o["failures"]:
    print(f"void: {o['failures']} of {o['requests']} requests failed")
else:
    print(round(eval(sys.argv[2], {"o": o, "rps": o["requests"] / max(o["seconds"], 1e-9)}), 1))
PY
}

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
at_least() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$1" "$2"; }

ensure_wrk
mkdir -p "$OUT"
: >"$OUT/wrk.log"
say "building loadtest (release)"
cargo build --release --locked --bin loadtest --quiet

WORK=$(mktemp -d)
chmod 755 "$WORK"
export COMPOSE_PROJECT_NAME="spbench$$"
trap 'compose down -v --remove-orphans >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
make_certs "$WORK"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/secret_key"
chmod 444 "$WORK/secret_key"
cat >"$WORK/bench.yml" <<YAML
# Bench only: publish the app replica on loopback to measure it without the proxy. Docker
# publishes no port of a container on internal networks only, hence the edge network too.
services:
  app:
    networks: [backend, edge]
    ports: ["127.0.0.1::8000"]
YAML
export SECRET_KEY_PATH="$WORK/secret_key" SERVER_NAME=$SITE PUBLISH_ADDR=127.0.0.1 HTTP_PORT=0 HTTPS_PORT=0 \
  TLS_CERTS_SOURCE="$WORK/certs" APP_REPLICAS=1

say "booting migrate, one app replica and the proxy ($COMPOSE_PROJECT_NAME)"
compose build --quiet app proxy
compose up -d --quiet-pull app proxy
wait_healthy app
wait_healthy proxy
HTTPS=$(host_port proxy 8443)
DIRECT=$(host_port app 8000)
[[ -n $HTTPS && -n $DIRECT ]] || die "no loopback ports (proxy: '$HTTPS', app: '$DIRECT')"

say "loadtest through the proxy (${SECONDS_EACH} s)"
goose_rps=$(figure "$(loadtest capacity)" rps)
say "wrk through the proxy"
wrk_proxied=$(wrk_rps "https://127.0.0.1:$HTTPS/")
say "wrk straight to gunicorn"
wrk_direct=$(wrk_rps "http://127.0.0.1:$DIRECT/")

failed=0
for figure in "$goose_rps" "$wrk_proxied" "$wrk_direct"; do [[ $figure == void* ]] && failed=1; done
if ((failed)); then
  half="void"
  p95="void" p99="void"
else
  half=$(python3 -c "import sys; print(max(1, int(float(sys.argv[1]) / 2)))" "$wrk_proxied")
  say "loadtest at half capacity ($half req/s)"
  at_half=$(loadtest half-capacity --max-rps "$half")
  p95=$(figure "$at_half" 'o["p95_ms"]')
  p99=$(figure "$at_half" 'o["p99_ms"]')
  [[ $p95 == void* ]] && failed=1
fi

# verdict FIGURE BASE GOAL: ok, BELOW GOAL, or void.
verdict() {
  if [[ $1 == void* || $2 == void* ]]; then echo void
  elif at_least "$(ratio "$1" "$2")" "$3"; then echo ok
  else echo "BELOW GOAL"; fi
}
ratio_or_void() { # ratio_or_void A B: A/B, or void when either is
  if [[ $1 == void* || $2 == void* ]]; then echo void; else ratio "$1" "$2"; fi
}
client_ratio=$(ratio_or_void "$goose_rps" "$wrk_proxied")
proxy_ratio=$(ratio_or_void "$wrk_proxied" "$wrk_direct")
client_verdict=$(verdict "$goose_rps" "$wrk_proxied" 0.85)
proxy_verdict=$(verdict "$wrk_proxied" "$wrk_direct" 0.6)
[[ $client_verdict == ok && $proxy_verdict == ok ]] || failed=1

{
  echo "# Bench $(date -u +%Y-%m-%dT%H:%M:%SZ) ($(nproc) CPUs, one app replica, ${SECONDS_EACH} s each, GET /)"
  echo
  echo "| measurement | figure |"
  echo "| --- | ---: |"
  echo "| loadtest through the proxy (req/s) | $goose_rps |"
  echo "| wrk through the proxy (req/s) | $wrk_proxied |"
  echo "| wrk straight to gunicorn (req/s) | $wrk_direct |"
  echo "| loadtest / wrk, goal >= 0.85 | $client_ratio ($client_verdict) |"
  echo "| proxied / direct, goal >= 0.6 | $proxy_ratio ($proxy_verdict) |"
  echo "| p95 / p99 at half capacity ($half req/s), ms | $p95 / $p99 |"
} | tee "$OUT/results.md"
exit "$failed"
