#!/usr/bin/env bash
# Build the ZeroDash container image from ./Dockerfile.
#
#   scripts/build_image.sh [IMAGE]        (default: localhost/zerodash:dev)
#
# With a working Docker engine this is a plain `docker build` on the official
# python:3.11-slim-bookworm base. Without one (no engine, no registry access) it
# builds a Debian bookworm base with debootstrap (python3 and venv from Debian),
# caches the rootfs tarball under .build/, imports it as localhost/zerodash-base
# and builds with buildah, whose storage podman shares.
#
# Environment: CONTAINER_BUILDER=docker|buildah forces a builder;
# DEBIAN_MIRROR overrides the debootstrap mirror; PIP_INDEX_URL is passed on as a
# build arg; PIP_CERT (a CA bundle) is passed as the "pip_cert" build secret.
set -euo pipefail

IMAGE=${1:-localhost/zerodash:dev}
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

log() { printf '[build_image] %s\n' "$*" >&2; }

# Build args and secrets shared by both builders.
build_options=()
if [[ -n "${PIP_INDEX_URL:-}" ]]; then
    build_options+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
fi
if [[ -n "${PIP_CERT:-}" && -s "$PIP_CERT" ]]; then
    build_options+=(--secret "id=pip_cert,src=$PIP_CERT")
fi

choose_builder() {
    if [[ -n "${CONTAINER_BUILDER:-}" ]]; then
        echo "$CONTAINER_BUILDER"
    elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
        echo docker
    elif command -v buildah >/dev/null; then
        echo buildah
    else
        log "neither a Docker engine nor buildah is available"
        exit 1
    fi
}

# podman/buildah defaults that fail in this kind of sandbox (no systemd, no
# rlimit changes). Only written when absent, so running again changes nothing.
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
    podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        "$BASE_TARBALL" "$BASE_IMAGE" >/dev/null
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
    tar --numeric-owner -C "$rootfs" -cf - . |
        podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$RUNTIME_IMAGE" >/dev/null
    rm -rf "$rootfs"
}

builder=$(choose_builder)
start=$SECONDS
case $builder in
docker)
    log "building $IMAGE with docker"
    DOCKER_BUILDKIT=1 docker build "${build_options[@]}" -t "$IMAGE" "$ROOT"
    ;;
buildah)
    ensure_containers_conf
    ensure_base_image
    ensure_runtime_image
    log "building $IMAGE with buildah on $BASE_IMAGE (final stage on $RUNTIME_IMAGE)"
    buildah bud --isolation chroot --network host --layers \
        --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE" "${build_options[@]}" \
        -f "$ROOT/Dockerfile" -t "$IMAGE" "$ROOT"
    ;;
*)
    log "unknown CONTAINER_BUILDER=$builder (expected docker or buildah)"
    exit 1
    ;;
esac
log "built $IMAGE with $builder in $((SECONDS - start)) s"
