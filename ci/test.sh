#!/usr/bin/env bash
# Runs every test: prepares the machine (cached), checks the style (ci/lint.sh), then
# `cargo test`, whose three test binaries hold every check as its own test.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/prepare.sh
ci/lint.sh
exec cargo test --locked "$@"
