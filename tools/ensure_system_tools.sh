#!/usr/bin/env bash
# Install the system tools that `make test` needs and pip cannot provide.
#
# Today: Debian's `docker-compose` (1.29), used only to validate docker-compose.yml
# statically (`docker-compose config -q`); no Docker engine is needed; and Debian's
# `chromium`, the headless browser that drives the web portal and officer console tests, and a font
# with Vietnamese glyphs for it (fonts-dejavu-core) when fontconfig finds none.
# kubectl (kustomize), hadolint and kubernetes-validate come from PyPI through
# requirements-dev.txt.
#
# Idempotent and quiet: does nothing when the tools are there. Installs only when
# running as root on a machine with apt-get; otherwise prints what is missing and
# exits 0, and the deploy tests then fail with a clear message.
# MOTCUA_SKIP_SYSTEM_TOOLS=1 skips this script (and those tests).
set -euo pipefail

if [[ "${MOTCUA_SKIP_SYSTEM_TOOLS:-0}" == "1" ]]; then
    exit 0
fi

# command name -> Debian package
declare -A PACKAGES=([docker-compose]=docker-compose [chromium]=chromium)

missing=()
for cmd in "${!PACKAGES[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGES[$cmd]}")
done
# Chromium needs a font with Vietnamese glyphs (here: ệ, U+1EC7) or the web-page tests see tofu boxes.
if ! command -v fc-list >/dev/null 2>&1; then
    missing+=(fontconfig fonts-dejavu-core)
elif [[ -z "$(fc-list ':charset=1ec7' family 2>/dev/null)" ]]; then
    missing+=(fonts-dejavu-core)
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_system_tools: missing ${missing[*]} (install with: sudo apt-get install ${missing[*]}," \
         "or set MOTCUA_SKIP_SYSTEM_TOOLS=1 to skip the checks that need them)" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() {
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1
}
# A fresh machine may have empty or stale package lists: refresh once and retry.
if ! apt_install; then
    apt-get update -qq >/dev/null 2>&1 || true
    if ! apt_install; then
        echo "ensure_system_tools: apt-get could not install ${missing[*]}" >&2
        exit 0
    fi
fi
echo "ensure_system_tools: installed ${missing[*]}"
