#!/usr/bin/env bash
# Runs the README's "Moving to a server" lines exactly as written, in a fresh project that depends on this
# package and has secrets in its embedded folder, against a scratch database on the server at $1.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
server_url="${1:?usage: .ci/readme-moving-to-a-server.sh postgres://…/postgres}"

block="$(awk '/^<!-- moving-to-a-server -->$/ { found = 1; next }
  found && /^```sh$/ { inside = 1; next }
  inside && /^```$/ { exit }
  inside { print }' README.md)"
[ -n "$block" ] || { echo "README.md has no block after <!-- moving-to-a-server -->" >&2; exit 1; }

project="$(mktemp -d)"
database="secretstore_readme_$$"
cleanup() {
  rm -rf "$project"
  psql "$server_url" -qAtc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# A project that depends on the package, as an application's does: npx finds its `secretstore` locally.
mkdir -p "$project/node_modules/@kongflow" "$project/node_modules/.bin"
ln -s "$repo" "$project/node_modules/@kongflow/secretstore"
ln -s ../@kongflow/secretstore/bin/secretstore.js "$project/node_modules/.bin/secretstore"
printf '{ "name": "app", "private": true, "dependencies": { "@kongflow/secretstore": "*" } }\n' >"$project/package.json"

psql "$server_url" -qAtc "CREATE DATABASE $database" >/dev/null
target_url="${server_url%/*}/$database"

cd "$project"
clean_env=(env -u DATABASE_URL -u PGHOST -u PGPORT -u PGUSER -u PGPASSWORD -u PGDATABASE
  -u SECRETSTORE_ENCRYPTION_KEYS -u SECRETSTORE_DATA_DIR -u SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY)
"${clean_env[@]}" npx --no-install secretstore set oauth.github '{"client_id":"x","client_secret":"y"}'
"${clean_env[@]}" npx --no-install secretstore set api.stripe '{"key":"sk_test_1"}'

echo "running the README's lines:"
printf '  %s\n' "$block"
"${clean_env[@]}" DATABASE_URL="$target_url" bash -euo pipefail -c "$block
  # What the lines left on the server, for the checks below (the keyring is the one the lines exported).
  npx --no-install secretstore --json export >server.json"

expected='{"api.stripe":{"key":"sk_test_1"},"oauth.github":{"client_id":"x","client_secret":"y"}}'
actual="$(node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(0, "utf8"))))' <"$project/server.json")"
[ "$actual" = "$expected" ] || { echo "the server holds $actual, not $expected" >&2; exit 1; }
[ ! -e "$project/secrets.json" ] || { echo "secrets.json was left behind" >&2; exit 1; }
echo "the server holds the development secrets, as the README says"
