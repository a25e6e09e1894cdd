#!/usr/bin/env bash
# Fuzzes the running API with Schemathesis 4 against its own /openapi.json, once per role (storefront, merchant,
# agent, admin), with a bounded number of examples per operation. Not part of CI: a tool to run by hand after
# changing the API. Schemathesis lives in a project-local virtualenv (.tools/schemathesis-venv, from PyPI).
#
#   bash scripts/dev                      # in another terminal: the system, and its printed admin key
#   ADMIN_KEY=ck_... bash scripts/fuzz-api.sh [--max-examples 20] [--roles storefront,merchant,agent,admin] [extra schemathesis args]
#
# API_URL (default http://127.0.0.1:3000) names the API. Without ADMIN_KEY, the script creates an admin key with
# scripts/principals.ts (needs DATABASE_URL, or the dev system's PGlite on 127.0.0.1:55432).
# The identity route's ID-number patterns (if/then by document type) filter many generated examples: the
# filter_too_much health check is suppressed so that the route is fuzzed, not skipped.
# FUZZ_RATE (default 9/s) bounds the request rate (the per-key rate limit answers 429 past 600/min).
# Reports (JUnit XML and NDJSON per role) go to .data/fuzz/<timestamp>/; the summary lines are printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

API_URL="${API_URL:-http://127.0.0.1:3000}"
MAX_EXAMPLES=20
ROLES="storefront,merchant,agent,admin"
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --max-examples) MAX_EXAMPLES="$2"; shift 2 ;;
    --roles) ROLES="$2"; shift 2 ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done

VENV=.tools/schemathesis-venv
ST_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
if [[ ! -x "$VENV/bin/schemathesis" ]] || [[ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != *"$ST_VERSION"* ]]; then
  echo "[fuzz] installing schemathesis $ST_VERSION into $VENV (PyPI)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$ST_VERSION"
fi

if ! curl -fsS "$API_URL/healthz" >/dev/null; then
  echo "[fuzz] no API at $API_URL: start it with 'bash scripts/dev' (or set API_URL)" >&2
  exit 1
fi

if [[ -z "${ADMIN_KEY:-}" ]]; then
  export DATABASE_URL="${DATABASE_URL:-postgresql://postgres:postgres@127.0.0.1:55432/postgres}"
  ADMIN_KEY=$(node_modules/.bin/tsx scripts/principals.ts create --name "fuzz admin $(date +%s)" --role admin 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).apiKey))')
fi

create_key() { # role, name, [merchantId]
  local body="{\"name\":\"$2\",\"role\":\"$1\"${3:+,\"merchantId\":\"$3\"}}"
  curl -fsS -XPOST "$API_URL/v1/principals" -H "authorization: Bearer $ADMIN_KEY" -H 'content-type: application/json' -d "$body" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).apiKey))'
}

OUT=".data/fuzz/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
stamp=$(date +%s)
status=0
IFS=',' read -r -a roles <<<"$ROLES"
for role in "${roles[@]}"; do
  case "$role" in
    merchant) key=$(create_key merchant "fuzz merchant $stamp" "m-fuzz-$stamp") ;;
    admin) key=$(create_key admin "fuzz admin $stamp") ;; # its own: fuzzing DELETE /v1/principals/{id} may revoke it
    *) key=$(create_key "$role" "fuzz $role $stamp") ;;
  esac
  echo "[fuzz] $role: schemathesis run $API_URL/openapi.json (max examples $MAX_EXAMPLES per operation)"
  # The per-key rate limit (600/min, bursts of 60) would answer 429 to a fast fuzzer: stay under it.
  set +e
  "$VENV/bin/schemathesis" run "$API_URL/openapi.json" \
    --url "$API_URL" \
    -H "Authorization: Bearer $key" \
    --checks all \
    --max-examples "$MAX_EXAMPLES" \
    --rate-limit "${FUZZ_RATE:-9/s}" \
    --request-timeout 30 \
    --suppress-health-check filter_too_much \
    --no-color \
    --report junit,ndjson --report-dir "$OUT/$role" \
    "${EXTRA[@]}" 2>&1 | tee "$OUT/$role.log"
  code=${PIPESTATUS[0]}
  set -e
  [[ $code -ne 0 ]] && status=$code
done

echo
echo "[fuzz] summaries (full logs and reports in $OUT):"
for role in "${roles[@]}"; do
  echo "== $role"; grep -E "^(Test cases|Summary|API Operations|Test Phases)|[0-9]+ (passed|failed|errored|skipped)|generated|Failures|Errors|tested" "$OUT/$role.log" | tail -12 || true
done
exit $status
