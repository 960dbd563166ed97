#!/usr/bin/env bash
# A bounded property-based fuzz of every HTTP operation, generated from the service's own /openapi.json
# by schemathesis (PyPI): no 5xx, every response (errors included) in the schema the document declares,
# and no operation that answers without a token.
#
#   test/fuzz/run-schemathesis.sh            (from the repository root; .ci/run calls it after npm test)
#
# Env: ST_MAX_EXAMPLES (default 12 per operation), ST_SEED (default: random; printed for a rerun).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

ST_VERSION=4.32.5
VENV="${HOME}/.cache/mycelium/schemathesis-${ST_VERSION}"
ST="$VENV/bin/st"
if [[ ! -x $ST ]]; then
  echo "installing schemathesis ${ST_VERSION} into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==${ST_VERSION}"
fi
"$ST" --version

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mycelium-fuzz.XXXXXX")
export MYCELIUM_HOME="$WORK/home"
mkdir -p "$MYCELIUM_HOME"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 ]]; then
    echo "--- fuzz server log (last 40 lines)"
    tail -n 40 "$WORK/serve.log" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

echo "starting the API (real stack, sample team ingested) ..."
# node itself (not npx/tsx wrappers, which do not pass SIGTERM on), so that the cleanup stops the server
node --import tsx test/fuzz/serve.ts >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVER_PID=$!
# the server prints {"url","token"} once it serves; give up if it dies or takes over 5 minutes
deadline=$((SECONDS + 300))
until [[ -s $WORK/serve.out ]]; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "the fuzz server exited before serving" >&2; exit 1; fi
  if ((SECONDS > deadline)); then echo "the fuzz server did not start within 300s" >&2; exit 1; fi
  sleep 0.5
done
read -r URL TOKEN < <(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]); console.log(s.url, s.token)' "$WORK/serve.out")
echo "serving at $URL"

seed=${ST_SEED:-$RANDOM}
echo "schemathesis seed $seed (rerun with ST_SEED=$seed)"
# ingest is left out: its input is a folder on the server's disk, so fuzzing it would walk whatever
# paths come up ("/", ".."); test/surfaces covers its errors. No stateful phase: chaining responses
# into DELETE /v1/tokens/{id} would revoke the token the run authenticates with.
# run from the temp dir: schemathesis and hypothesis keep their state (.hypothesis, .schemathesis) in the cwd
cd "$WORK"
"$ST" run "$URL/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance,ignored_auth \
  --phases examples,coverage,fuzzing \
  --exclude-operation-id ingest \
  --max-examples "${ST_MAX_EXAMPLES:-12}" \
  --seed "$seed" \
  --workers 2 \
  --request-timeout 60 \
  --no-color \
  --warnings off
