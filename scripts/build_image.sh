#!/usr/bin/env bash
# Build the apps' container images, or only the base images they are built on.
#
#   scripts/build_image.sh [APP...]      build each app's image (an app name from cdk.json, or a directory);
#                                        no APP: every app of cdk.json that ZeroDash builds
#   scripts/build_image.sh --base-only   make/import the base images alone and print, on stdout,
#                                        BASE_IMAGE=... and RUNTIME_IMAGE=... (the build args of the buildah build)
#
# Building is `python -m zerodash.images build` (docker when an engine answers, else buildah). Without a Docker
# engine no base image can be pulled, so this script builds one: a Debian bookworm rootfs made with debootstrap
# (python3 and venv from Debian), cached as a tarball under .build/, imported as localhost/zerodash-base; and a
# trimmed copy of it for the final stage, localhost/zerodash-runtime. buildah and podman share their storage.
#
# Environment: DEBIAN_MIRROR overrides the debootstrap mirror; PYTHON the interpreter that runs zerodash.images
# (default: .venv/bin/python); CONTAINER_BUILDER=docker|buildah, PIP_INDEX_URL and PIP_CERT are read there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR="$ROOT/.build"
SUITE=bookworm
BASE_IMAGE="localhost/zerodash-base:$SUITE"
BASE_TARBALL="$BUILD_DIR/zerodash-base-$SUITE.tar"
# The final stage's base: the same rootfs without what a running app never uses (package managers, perl,
# iconv modules, the wheels behind `python3 -m venv`, lib2to3, help()'s topics), ~32 MB less to pull. The
# dpkg database stays so that image scanners still see the packages. Its tag carries a hash of this list, so
# editing the list rebuilds it.
RUNTIME_REMOVE=(
    'usr/bin/apt*' usr/lib/apt 'usr/lib/*-linux-gnu/libapt-*' etc/apt var/lib/apt var/cache/apt
    'usr/lib/*-linux-gnu/libgnutls*' 'usr/lib/*-linux-gnu/libp11-kit*' 'usr/lib/*-linux-gnu/libhogweed*'
    'usr/lib/*-linux-gnu/libnettle*' 'usr/lib/*-linux-gnu/libunistring*' 'usr/lib/*-linux-gnu/libidn2*'
    'usr/lib/*-linux-gnu/libtasn1*'
    'usr/bin/perl*' 'usr/lib/*-linux-gnu/perl-base' 'usr/lib/*-linux-gnu/gconv'
    usr/share/python-wheels 'usr/lib/python3*/ensurepip' 'usr/lib/python3*/lib2to3' 'usr/lib/python3*/pydoc_data'
)
RUNTIME_IMAGE="localhost/zerodash-runtime:$SUITE-$(printf '%s\n' "${RUNTIME_REMOVE[@]}" | sha256sum | cut -c1-8)"
BASE_PACKAGES=python3,python3-venv,ca-certificates
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
IMAGE_PATH='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

log() { printf '[build_image] %s\n' "$*" >&2; }

# podman/buildah defaults that fail in this kind of sandbox (no systemd, no rlimit changes). Only written when
# absent, so running again changes nothing.
ensure_containers_conf() {
    local conf=/etc/containers/containers.conf
    if [[ $EUID -eq 0 && ! -e $conf ]]; then
        log "writing $conf"
        mkdir -p /etc/containers
        printf '[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\n' >"$conf"
    fi
}

# debootstrap a minimal bookworm with Debian's python3 and pack it as a tarball.
build_base_tarball() {
    local rootfs="$BUILD_DIR/rootfs.partial"
    command -v debootstrap >/dev/null || {
        log "debootstrap is missing: apt-get install debootstrap (see DESIGN.md, Local stand-ins)"
        exit 1
    }
    rm -rf "$rootfs"
    mkdir -p "$BUILD_DIR"
    log "debootstrap $SUITE ($BASE_PACKAGES) from $MIRROR"
    debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$rootfs" "$MIRROR" >"$BUILD_DIR/debootstrap.log"
    # Package caches, docs and locales are dead weight in every image built on top.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/*.log \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
        "$rootfs"/usr/share/locale/*
    tar --numeric-owner -C "$rootfs" -cf "$BASE_TARBALL.partial" .
    mv "$BASE_TARBALL.partial" "$BASE_TARBALL"
    rm -rf "$rootfs"
}

ensure_base_image() {
    if podman image exists "$BASE_IMAGE"; then
        return
    fi
    if [[ ! -s $BASE_TARBALL ]]; then
        build_base_tarball
    else
        log "reusing cached $BASE_TARBALL"
    fi
    log "importing $BASE_IMAGE"
    podman import --change "$IMAGE_PATH" "$BASE_TARBALL" "$BASE_IMAGE" >/dev/null
}

# BASE_IMAGE minus RUNTIME_REMOVE, from the same tarball, so the venv's python3 symlinks hold in both stages.
ensure_runtime_image() {
    if podman image exists "$RUNTIME_IMAGE"; then
        return
    fi
    [[ -s $BASE_TARBALL ]] || build_base_tarball
    local rootfs="$BUILD_DIR/runtime.partial"
    rm -rf "$rootfs"
    mkdir -p "$rootfs"
    tar --numeric-owner -C "$rootfs" -xf "$BASE_TARBALL"
    (cd "$rootfs" && shopt -s nullglob && for pattern in "${RUNTIME_REMOVE[@]}"; do
        # shellcheck disable=SC2086 # the patterns are globs
        rm -rf -- $pattern
    done)
    log "importing $RUNTIME_IMAGE"
    tar --numeric-owner -C "$rootfs" -cf - . | podman import --change "$IMAGE_PATH" - "$RUNTIME_IMAGE" >/dev/null
    rm -rf "$rootfs"
}

if [[ ${1:-} == --base-only ]]; then
    command -v podman >/dev/null || {
        log "podman is missing: apt-get install podman buildah debootstrap runc uidmap"
        exit 1
    }
    ensure_containers_conf
    ensure_base_image
    ensure_runtime_image
    printf 'BASE_IMAGE=%s\nRUNTIME_IMAGE=%s\n' "$BASE_IMAGE" "$RUNTIME_IMAGE"
    exit 0
fi

PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
[[ -x $PYTHON ]] || PYTHON=python3
cd "$ROOT"
exec "$PYTHON" -m zerodash.images build "$@"
