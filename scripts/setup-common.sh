# Shared by scripts/dev and scripts/test: installs what is missing, idempotently. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

ensure_node_modules() {
  if ! command -v node >/dev/null; then
    echo "Node.js 20+ is required (https://nodejs.org)" >&2; exit 1
  fi
  local stamp=node_modules/.install-stamp
  if [[ -L node_modules ]]; then
    # A linked node_modules belongs to another checkout: npm ci would empty it there. Use it as it is.
    say "node_modules is a link to $(readlink node_modules): using it as it is"
  elif [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp || -n "$(find patches -newer "$stamp" 2>/dev/null)" ]]; then
    say "installing node modules (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
  fi
  if [[ ! -L node_modules ]] && [[ ! -f node_modules/.prisma/client/index.js || prisma/schema.prisma -nt node_modules/.prisma/client/index.js ]]; then
    say "generating the Prisma client"
    bash scripts/prisma generate >/dev/null
  fi
}

ensure_temporal_tools() {
  # Temporal CLI and the Java time-skipping test server: resolved, built or fetched once, then cached in .tools/.
  node_modules/.bin/tsx scripts/tools.ts "$@"
}
