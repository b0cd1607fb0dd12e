#!/usr/bin/env bash
# The integration and end-to-end suites once on the test harness's testcontainers path: a postgres:15-alpine
# container, which scripts/postgres-image/build.sh provides (built here where no registry answers). Fails unless the
# harness says it used the container, so that a quiet fall back to PGlite cannot pass, and if a container is left.
# Run from a clone after npm ci and the build: bash .ci/testcontainers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

bash scripts/postgres-image/build.sh
echo "Docker engine and image ready after $((SECONDS - started)) s"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
containers() { docker ps -aq --filter label=org.testcontainers=true | sort; }
before="$(containers)"

status=0
# Ryuk and the gateway lookup would pull images of their own; global-teardown stops the container instead.
env -u TEST_DATABASE_URL -u TEST_DATABASE TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=localhost \
  npm run test:integration 2>&1 | tee "$log" || status=$?

if ! grep -q '^\[secretstore tests\] database: postgres:15-alpine in a Docker container' "$log"; then
  echo "The tests did not run on a Docker container; the harness said:" >&2
  grep '^\[secretstore tests\] database:' "$log" >&2 || echo "(nothing)" >&2
  status=1
fi

left="$(comm -13 <(echo "$before") <(containers))"
if [ -n "$left" ]; then
  echo "The run left containers behind; removing them:" >&2
  docker ps -a --filter label=org.testcontainers=true >&2
  # shellcheck disable=SC2086 # one id per word
  docker rm -f -v $left >/dev/null
  status=1
fi

echo "testcontainers run: $((SECONDS - started)) s, exit status $status"
exit "$status"
