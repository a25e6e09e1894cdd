#!/usr/bin/env bash
# Benchmarks a RUNNING system (bash scripts/dev, or API_URL / TEMPORAL_ADDRESS / DATABASE_URL) and prints one
# Markdown table: start ratio, human-step latency, cases reaching their first task, timer lateness, replay
# throughput, RSS per 1,000 open cases, history sizes. Options: scripts/bench.ts (--help); results: docs/benchmarks.md.
source "$(dirname "$0")/setup-common.sh"
ensure_node_modules
# `bash scripts/bench.sh complaints-report [...]`: the complaints report over 100,000 seeded complaints in a scratch
# database of TEST_DATABASE_ADMIN_URL (scripts/bench-complaints-report.ts); no running system needed.
if [[ "${1:-}" == complaints-report ]]; then shift; exec node_modules/.bin/tsx scripts/bench-complaints-report.ts "$@"; fi
# `bash scripts/bench.sh sealing [...]`: sealing personal fields at rest (scripts/bench-sealing.ts), in a scratch database.
if [[ "${1:-}" == sealing ]]; then shift; exec node_modules/.bin/tsx scripts/bench-sealing.ts "$@"; fi
# `bash scripts/bench.sh topologies [...]`: the harness against the dev system, then the production topology, side by
# side (scripts/bench-topologies.ts); starts and stops each itself.
if [[ "${1:-}" == topologies ]]; then shift; ensure_local_postgres; exec node_modules/.bin/tsx scripts/bench-topologies.ts "$@"; fi
# `bash scripts/bench.sh pg-outage [...]`: a 60 s PostgreSQL outage under load, on a cluster, a Temporal dev server, a
# worker and an API of its own (scripts/bench-pg-outage.ts); no running system needed.
if [[ "${1:-}" == pg-outage ]]; then shift; exec node_modules/.bin/tsx scripts/bench-pg-outage.ts "$@"; fi
exec node_modules/.bin/tsx scripts/bench.ts "$@"
