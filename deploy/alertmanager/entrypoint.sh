#!/bin/sh
# Renders the config from the environment (see render.sh), refuses to start on an invalid
# one, then runs Alertmanager with it and the given flags.
set -eu
config=/tmp/alertmanager/alertmanager.yml
mkdir -p "${config%/*}"
umask 077 # the rendered file may hold webhook tokens
render-alertmanager-config /etc/alertmanager/alertmanager.yml.tmpl >"$config"
amtool check-config "$config"
exec prometheus-alertmanager --config.file="$config" "$@"
