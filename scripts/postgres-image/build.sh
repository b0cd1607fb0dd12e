#!/usr/bin/env bash
# Makes a Docker engine answer and the image postgres:15-alpine exist, for the tests' testcontainers path and
# docker-compose.yml, on a machine with no registry: installs docker.io (apt-get) if dockerd is missing, starts
# dockerd if no engine answers, and builds the image FROM scratch out of this machine's PostgreSQL 15 when the
# tag is missing or was built here from other inputs. A postgres:15-alpine not built here (pulled) is left
# alone; with no local PostgreSQL 15 to build from, the tag is pulled. Run again, it does only what is missing.
#   DOCKERD_LOG   where a dockerd started here logs (default /var/log/dockerd.log)
set -euo pipefail
shopt -s inherit_errexit
# Byte order for sorting, and modes that do not depend on the caller's umask: part of a reproducible build.
export LC_ALL=C
umask 022

readonly IMAGE=postgres:15-alpine
readonly PG_BIN=/usr/lib/postgresql/15/bin
readonly PG_LIB=/usr/lib/postgresql/15/lib
readonly PG_SHARE=/usr/share/postgresql/15
# The image's postgres user, with the uid and gid it has in the official Alpine image.
readonly PG_UID=70
# A label on the image holds the digest of what it was built from, so changed inputs mean a rebuild.
readonly INPUTS_LABEL=secretstore.image-inputs
readonly ENGINE_WAIT_SECONDS=60
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
HERE="$(cd "$(dirname "$0")" && pwd)"
readonly HERE
CONTEXT=""

say() { printf '[postgres-image] %s\n' "$*"; }
fail() {
  printf '[postgres-image] %s\n' "$*" >&2
  exit 1
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}
engine_answers() {
  command -v docker >/dev/null 2>&1 && timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

ensure_engine() {
  if engine_answers; then return; fi
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    say "installing docker.io with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y -qq --no-install-recommends docker.io >/dev/null ||
      { as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends docker.io >/dev/null; }
    # Where a service manager starts the daemon on install, it may answer already.
    if engine_answers; then return; fi
  fi
  # A dockerd that is still starting is waited for, not doubled.
  if ! pgrep -x dockerd >/dev/null; then
    say "starting dockerd in the background, logging to $DOCKERD_LOG"
    # shellcheck disable=SC2016 # $1 is expanded by the inner sh
    as_root sh -c 'setsid dockerd >>"$1" 2>&1 </dev/null &' sh "$DOCKERD_LOG"
  fi
  for _ in $(seq 1 "$ENGINE_WAIT_SECONDS"); do
    if engine_answers; then return; fi
    sleep 1
  done
  as_root tail -n 20 "$DOCKERD_LOG" >&2 || true
  fail "no Docker engine answered within ${ENGINE_WAIT_SECONDS}s"
}

# The programs the image runs: PostgreSQL's, with its modules (JIT left out: it would pull in 100 MB of LLVM,
# and the server runs without it), and the tools of sh -c health checks and wait strategies, as
# "<source> <path in the image>".
programs() {
  find "$PG_BIN" \( -type f -o -type l \) -printf '%p %p\n'
  find "$PG_LIB" -maxdepth 1 -type f -name '*.so' ! -name 'llvmjit*' -printf '%p %p\n'
  echo "$(readlink -f /bin/sh) /usr/bin/sh"
  # initdb lists the system's locales with locale(1).
  for tool in cat grep locale; do echo "$(readlink -f "$(command -v "$tool")") /usr/bin/$tool"; done
  echo "$(readlink -f "$(command -v mawk || command -v awk)") /usr/bin/awk"
}

# Every file the image takes from this machine, one "<source> <path in the image>" per line, sorted. Entries
# kept at their own path are copied as they are (symlinks stay symlinks); the others are dereferenced.
manifest() {
  local programs listing
  programs="$(programs)"
  {
    echo "$programs"
    find "$PG_SHARE" /usr/share/zoneinfo \
      \( -path "$PG_SHARE/man" -o -path /usr/share/zoneinfo/right -o -path /usr/share/zoneinfo/localtime \) -prune \
      -o \( -type f -o -type l \) -printf '%p %p\n'
    # The cluster's locale (LANG=C.UTF-8) where glibc keeps it outside libc.
    if [ -d /usr/lib/locale/C.utf8 ]; then find /usr/lib/locale/C.utf8 -type f -printf '%p %p\n'; fi
    # The shared objects those programs load and the program interpreter, at their canonical path: the image
    # is merged-/usr, as this machine's ldd names them may not be.
    listing="$(cut -d' ' -f1 <<<"$programs" | xargs ldd 2>&1)" || true
    if grep -q 'not found' <<<"$listing"; then
      fail "a library the image needs is missing here: $(grep 'not found' <<<"$listing" | head -n 3)"
    fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' <<<"$listing" |
      sort -u | while read -r object; do
        echo "$object $(readlink -f "$(dirname "$object")")/$(basename "$object")"
      done
  } | sort -u
}

# What the image is built from: the manifest with each source's size, time and mode, and this folder's files.
inputs_digest() {
  local manifest="$1"
  {
    cat "$HERE/build.sh" "$HERE/Dockerfile" "$HERE/docker-entrypoint.sh"
    echo "$manifest"
    cut -d' ' -f1 <<<"$manifest" | xargs stat -L -c '%s %Y %a'
  } | sha256sum | cut -d' ' -f1
}

# Lays out the image's root folder from the manifest, plus the files that are the image's own.
assemble_root() {
  local root="$1" manifest="$2" source target
  mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/usr/sbin" "$root/usr/local/bin" "$root/etc" \
    "$root/tmp" "$root/var/run/postgresql" "$root/var/lib/postgresql/data"
  for dir in bin lib lib64 sbin; do ln -s "usr/$dir" "$root/$dir"; done
  # Entries kept at their path in one go (thousands of them), the few moved ones one by one.
  awk '$1 == $2 { print substr($1, 2) }' <<<"$manifest" |
    tar -C / --no-recursion -T - -cf - | tar -C "$root" --no-same-owner -xf -
  awk '$1 != $2' <<<"$manifest" | while read -r source target; do
    mkdir -p "$root$(dirname "$target")"
    cp -L --preserve=mode "$source" "$root$target"
  done
  install -m 0755 "$HERE/docker-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
  printf 'root:x:0:0:root:/root:/usr/bin/sh\npostgres:x:%s:%s:PostgreSQL:/var/lib/postgresql:/usr/bin/sh\n' \
    "$PG_UID" "$PG_UID" >"$root/etc/passwd"
  printf 'root:x:0:\npostgres:x:%s:\n' "$PG_UID" >"$root/etc/group"
  # Without it glibc asks DNS before /etc/hosts, and "localhost" may not resolve.
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/var/lib/postgresql/data"
  chmod 3777 "$root/var/run/postgresql"
}

# A tar with fixed times, owners and order: the same files give the same bytes. The postgres user's folders
# are appended with its ownership, which needs no root to write.
pack_root() {
  local root="$1" tarball="$2"
  local -a fixed=(--format=gnu --sort=name --mtime=@0 --numeric-owner)
  tar -C "$root" "${fixed[@]}" --owner=0 --group=0 \
    --exclude=./var/lib/postgresql --exclude=./var/run/postgresql -cf "$tarball" .
  tar -C "$root" "${fixed[@]}" --owner="$PG_UID" --group="$PG_UID" \
    -rf "$tarball" ./var/lib/postgresql ./var/run/postgresql
}

ensure_image() {
  local built_from="" replaced="" manifest inputs
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    built_from="$(docker image inspect --format "{{ index .Config.Labels \"$INPUTS_LABEL\" }}" "$IMAGE")"
    replaced="$(docker image inspect --format '{{.Id}}' "$IMAGE")"
    if [ -z "$built_from" ] || [ "$built_from" = '<no value>' ]; then
      say "$IMAGE is present and was not built here: using it"
      return
    fi
  fi
  if [ ! -x "$PG_BIN/postgres" ]; then
    if [ -n "$built_from" ]; then
      say "$IMAGE is present; there is no PostgreSQL 15 here to compare it with: using it"
      return
    fi
    say "no PostgreSQL 15 in $PG_BIN to build from: pulling $IMAGE"
    docker pull -q "$IMAGE" || fail "could not pull $IMAGE, and there is no local PostgreSQL 15 to build it from"
    return
  fi

  manifest="$(manifest)"
  inputs="$(inputs_digest "$manifest")"
  if [ "$built_from" = "$inputs" ]; then
    say "$IMAGE is up to date (inputs ${inputs:0:12})"
    return
  fi
  say "building $IMAGE from this machine's PostgreSQL 15 (inputs ${inputs:0:12})"
  CONTEXT="$(mktemp -d)"
  trap 'rm -rf "$CONTEXT"' EXIT
  assemble_root "$CONTEXT/root" "$manifest"
  pack_root "$CONTEXT/root" "$CONTEXT/rootfs.tar"
  rm -rf "$CONTEXT/root"
  cp "$HERE/Dockerfile" "$CONTEXT/Dockerfile"
  docker build -q --label "$INPUTS_LABEL=$inputs" -t "$IMAGE" "$CONTEXT" >/dev/null
  # The image this one replaces, built here from older inputs, would otherwise stay behind untagged.
  if [ -n "$replaced" ]; then docker image rm "$replaced" >/dev/null 2>&1 || true; fi
  say "built $IMAGE ($(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
}

ensure_engine
ensure_image
