#!/usr/bin/env bash
# The project's style, enforced: rustfmt, clippy with every warning an error (the [lints] table
# of Cargo.toml), shellcheck on every shell script, ruff on the app (app/pyproject.toml). Exits
# non-zero naming what failed. ci/prepare.sh installs shellcheck and ruff (pinned, from PyPI).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

failed=()
step() { # step NAME CMD...: runs CMD, remembers NAME when it fails
  local name=$1
  shift
  printf 'lint: %s\n' "$name" >&2
  "$@" || failed+=("$name")
}

# Every tracked file that is a shell script, by name or by its #! line.
shell_scripts() {
  git ls-files -z | while IFS= read -r -d '' file; do
    [[ -f $file ]] || continue
    if [[ $file == *.sh ]] || head -n 1 "$file" | grep -qE '^#!.*[/ ](ba|da)?sh( |$)'; then
      printf '%s\n' "$file"
    fi
  done
}

step "cargo fmt --check" cargo fmt --check
step "cargo clippy" cargo clippy --locked --all-targets --quiet -- -D warnings
mapfile -t scripts < <(shell_scripts)
step "shellcheck (${#scripts[@]} scripts)" shellcheck --external-sources --source-path=SCRIPTDIR "${scripts[@]}"
step "ruff check app" ruff check --quiet app
step "ruff format --check app" ruff format --check --quiet app

if ((${#failed[@]})); then
  printf 'lint: FAILED: %s\n' "${failed[*]}" >&2
  exit 1
fi
printf 'lint: clean\n' >&2
