#!/usr/bin/env bash
# Runs every test: prepares the machine (cached), then `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/prepare.sh
exec cargo test --locked "$@"
