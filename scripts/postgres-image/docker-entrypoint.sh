#!/bin/sh
# The official postgres image's entrypoint contract (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB,
# POSTGRES_HOST_AUTH_METHOD, POSTGRES_INITDB_ARGS; the first start initialises the cluster through a temporary
# server), in POSIX sh using builtins only: this image has no coreutils. It runs as the postgres user.
set -eu

# "docker run <image> -c fsync=off" passes server options, as with the official image.
case "${1:-}" in
  -*) set -- postgres "$@" ;;
esac

if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_USER:=postgres}" "${POSTGRES_PASSWORD:=}" "${POSTGRES_HOST_AUTH_METHOD:=}"
  : "${POSTGRES_DB:=$POSTGRES_USER}" "${POSTGRES_INITDB_ARGS:=}"
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo 'Error: the database is uninitialized and POSTGRES_PASSWORD is not set.' >&2
    echo '  Set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without one.' >&2
    exit 1
  fi

  # The password reaches initdb through a pipe, never a file or the command line.
  if [ -n "$POSTGRES_PASSWORD" ]; then
    printf '%s\n' "$POSTGRES_PASSWORD" |
      eval 'initdb --username="$POSTGRES_USER" --pwfile=/dev/stdin '"$POSTGRES_INITDB_ARGS"
  else
    eval 'initdb --username="$POSTGRES_USER" '"$POSTGRES_INITDB_ARGS"
  fi

  # As the official image: trust inside the container (initdb's defaults), the chosen method from outside.
  printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  # The temporary server listens on the Unix socket only, so nothing outside sees it as ready.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --quiet --username "$POSTGRES_USER" --dbname postgres \
      --set db="$POSTGRES_DB" <<'EOSQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
EOSQL
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop

  printf '\nPostgreSQL init process complete; ready for start up.\n\n'
fi

exec "$@"
