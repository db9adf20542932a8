#!/usr/bin/env bash
# Rehearses docs/migration-guide.md on one machine, from where a real user starts: a LibSQL file
# that omega-bot's own schema code created and filled (the fixture builder, layout omega-v3 unless
# REHEARSAL_LAYOUT says otherwise), with the bot under live replay traffic:
#   adopt (plan, then --apply) → phase 1 → 4 (shadow on) → backfill → 5 → 6+ → 6
#   → 6+ (reconcile --from postgres) → 4 → a PostgreSQL outage in phase 4 → reconcile --from sqlite → 1
# `verify` after every step, `gate` before every switch forward. A `kill -TERM` of the bot stands
# for a Railway redeploy: it drains its shadow writes, then the new one starts.
#
# Usage: scripts/rehearse-cutover.sh            (after `pnpm install && pnpm build`)
#   REHEARSAL_PG      PostgreSQL server URL without a database (default postgres://postgres@127.0.0.1:5432)
#   REHEARSAL_DIR     work folder: LibSQL file, bot.log, replay.log, steps.tsv (default: a new /tmp folder)
#   REHEARSAL_LAYOUT  omega-bot layout of the starting file: omega-v3, omega-v2, omega-v1 (default omega-v3)
#   REHEARSAL_SIZE    messages in the starting file (default 3000)
#   REHEARSAL_HISTORY fortune entries replayed in phase 1 before the walk (default 500)
#   REHEARSAL_LIVE    fortune entries of the live replay that runs through the walk (default 4000)
#   REHEARSAL_RATE    live replay requests per second (default 10)
#   REHEARSAL_OUTAGE  seconds PostgreSQL is stopped in phase 4 (default 10; 0 = skip; needs pg_ctlcluster)
#   COMPARE_READS_RATE share of the bot's reads compared on the other backend (default 1)
#   REHEARSAL_MIN_COMPARED compared reads the gate needs (default 10)
#   PORT              the bot's port (default 3301)
# Exit code: 0 when every step ended as expected (table at the end, also in steps.tsv), 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

PG=${REHEARSAL_PG:-postgres://postgres@127.0.0.1:5432}
WORK=${REHEARSAL_DIR:-$(mktemp -d /tmp/rehearsal.XXXXXX)}
HISTORY=${REHEARSAL_HISTORY:-500}
LAYOUT=${REHEARSAL_LAYOUT:-omega-v3}
SIZE=${REHEARSAL_SIZE:-3000}
LIVE=${REHEARSAL_LIVE:-4000}
RATE=${REHEARSAL_RATE:-10}
OUTAGE=${REHEARSAL_OUTAGE:-10}
export PORT=${PORT:-3301}
DBNAME=rehearsal_$(date +%s)
BOT_URL=http://127.0.0.1:$PORT
mkdir -p "$WORK"
export LIBSQL_URL=file:$WORK/bot.db LOG_LEVEL=info
# Every read is also run on the other backend and compared (the gate's compared-reads criterion);
# a rehearsal's few minutes of traffic are far from 500 compared reads, hence the lower minimum.
export COMPARE_READS_RATE=${COMPARE_READS_RATE:-1}
MIN_COMPARED=${REHEARSAL_MIN_COMPARED:-10}
unset DATABASE_URL USE_POSTGRES_PRIMARY USE_POSTGRES_READ USE_POSTGRES_SHADOW
STEPS=$WORK/steps.tsv
: >"$STEPS"
BOT=
REPLAY=
bad=0

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# The CLI runs in the work folder, so its migration-data/ (verify reports, rejects) lands there.
db() { (cd "$WORK" && node "$root/packages/database/dist/cli/main.js" "$@"); }
phase_vars() { echo "PRIMARY=${USE_POSTGRES_PRIMARY:-} READ=${USE_POSTGRES_READ:-} SHADOW=${USE_POSTGRES_SHADOW:-}"; }

# step <label> <expected exit codes, comma-separated> <command…>: runs it, prints its output, records the result.
step() {
  local label=$1 want=$2
  shift 2
  local t0=$SECONDS out code
  out=$("$@" 2>&1)
  code=$?
  printf '%s\n' "$out" | sed 's/^/    /'
  local verdict=ok
  [[ ",$want," == *",$code,"* ]] || { verdict=UNEXPECTED; bad=1; }
  local summary
  summary=$(printf '%s\n' "$out" | grep -E '^(OK|DRIFT|PASS|FAIL|GATE|applied|verify found|[0-9,]+ rows compared)' | tr '\n' ' ' | cut -c1-160)
  printf '%s\t%s\t%s\t%s\t%ss\t%s\n' "$label" "exit $code" "want $want" "$verdict" $((SECONDS - t0)) "$summary" >>"$STEPS"
}

# redeploy: SIGTERM the running bot (it drains shadow writes), start one with the shell's variables.
redeploy() {
  if [ -n "$BOT" ]; then
    kill -TERM "$BOT" 2>/dev/null
    wait "$BOT"
    echo "    old bot exited $? ($(grep -c '"event":"shadow_drained"' "$WORK/bot.log") drains logged so far)"
  fi
  node "$root/apps/bot/dist/main.js" serve >>"$WORK/bot.log" 2>&1 &
  BOT=$!
  for _ in $(seq 1 100); do curl -sf "$BOT_URL/healthz" >/dev/null && break; sleep 0.1; done
  local phase
  phase=$(curl -sf "$BOT_URL/status" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).phase))')
  echo "    bot pid $BOT up in phase $phase ($(phase_vars))"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "redeploy" "phase $phase" "" "" "" "$(phase_vars)" >>"$STEPS"
}

cleanup() {
  [ -n "$REPLAY" ] && kill "$REPLAY" 2>/dev/null
  [ -n "$BOT" ] && kill -TERM "$BOT" 2>/dev/null && wait "$BOT" 2>/dev/null
}
trap cleanup EXIT

say "set-up: LibSQL $LIBSQL_URL, PostgreSQL database $DBNAME, work folder $WORK"
psql "$PG/postgres" -qc "CREATE DATABASE $DBNAME" || exit 1

say "omega-bot's database ($LAYOUT, $SIZE messages), as its own schema code creates and fills it"
node --input-type=module -e "
  const { buildOmegaDatabase } = await import('$root/packages/database/dist/testing/index.js');
  await buildOmegaDatabase('$WORK/bot.db', { layout: '$LAYOUT', size: $SIZE });
" || exit 1
step "status (legacy, not adopted)" 0,8 db status
step "migrate refuses a legacy file (LEGACY_SCHEMA)" 8 db migrate
step "adopt (the plan; nothing changes)" 0 db adopt
step "adopt --apply" 0 db adopt --apply
step "adopt again (no-op)" 0 db adopt

say "phase 1: the bot of this repository on the adopted file, with more history"
redeploy
step "replay history ($HISTORY entries)" 0 node "$root/apps/bot/dist/main.js" replay --url "$BOT_URL" --limit "$HISTORY" --seed 1
node "$root/apps/bot/dist/main.js" replay --url "$BOT_URL" --limit "$LIVE" --rate "$RATE" --concurrency 2 --seed 2 --retry-ms 120000 >"$WORK/replay.log" 2>&1 &
REPLAY=$!
echo "    live replay pid $REPLAY: $LIVE entries at $RATE requests/s"
sleep 5

export DATABASE_URL=$PG/$DBNAME
say "phase 1 with DATABASE_URL: migrate both"
redeploy
step "migrate --target both" 0 db migrate --target both

say "phase 4: shadow writes on, then the backfill"
export USE_POSTGRES_SHADOW=true
redeploy
step "copy (backfill)" 0 db copy
step "verify (phase 4)" 0 db verify
step "gate before phase 5" 0 db gate --bot-url "$BOT_URL" --min-compared-reads "$MIN_COMPARED"

say "phase 5: reads from PostgreSQL"
export USE_POSTGRES_READ=true
redeploy
sleep 5
step "verify (phase 5)" 0 db verify
step "gate before phase 6+" 0 db gate --bot-url "$BOT_URL" --min-compared-reads "$MIN_COMPARED"

say "phase 6+: PostgreSQL primary, LibSQL kept warm"
export USE_POSTGRES_PRIMARY=true
redeploy
sleep 5
step "verify (phase 6+)" 0 db verify
step "gate in phase 6+" 0 db gate --bot-url "$BOT_URL" --min-compared-reads "$MIN_COMPARED"

say "phase 6: shadow off (LibSQL frozen: verify shows the drift it expects)"
unset USE_POSTGRES_SHADOW
redeploy
sleep 10
step "verify (phase 6: drift expected)" 0,4 db verify --recheck-delay-ms 500

say "back to phase 6+: LibSQL warm again, then what it missed"
export USE_POSTGRES_SHADOW=true
redeploy
sleep 3
step "reconcile --from postgres" 0 db reconcile --from postgres --bot-url "$BOT_URL"
# The bot's compared reads since its start include the mismatches of the stale LibSQL that reconcile
# just repaired (true drift, correctly seen): redeploy so the gate judges the reads from now on.
redeploy
sleep 5
step "verify (phase 6+, after reconcile)" 0 db verify
step "gate before rollback to 4" 0 db gate --bot-url "$BOT_URL" --min-compared-reads "$MIN_COMPARED"

say "rollback to phase 4: LibSQL primary again"
export USE_POSTGRES_PRIMARY=false
unset USE_POSTGRES_READ
redeploy
sleep 5
step "verify (phase 4, rolled back)" 0 db verify
step "gate in phase 4" 0 db gate --bot-url "$BOT_URL" --min-compared-reads "$MIN_COMPARED"

if [ "$OUTAGE" -gt 0 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "PostgreSQL down for ${OUTAGE} s in phase 4: the bot keeps answering; shadow writes fail, are logged and counted"
  failed_before=$(grep -c '"event":"shadow_write_failed"' "$WORK/bot.log")
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main stop -m fast
  sleep "$OUTAGE"
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
  sleep 8 # the shadow's pool reconnects; new writes land again
  failed_after=$(grep -c '"event":"shadow_write_failed"' "$WORK/bot.log")
  echo "    shadow_write_failed log lines during the outage: $((failed_after - failed_before))"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "PostgreSQL stopped ${OUTAGE} s" "" "" "" "" "shadow_write_failed lines: $((failed_after - failed_before))" >>"$STEPS"
  step "reconcile --from sqlite (after the outage)" 0 db reconcile --from sqlite --bot-url "$BOT_URL"
  step "verify (phase 4, after the outage)" 0 db verify
fi

say "phase 1: shadow off, LibSQL only"
unset USE_POSTGRES_SHADOW
redeploy
say "waiting for the live replay to finish"
wait "$REPLAY"
replay_code=$?
REPLAY=
sed 's/^/    /' "$WORK/replay.log"
failed_requests=$(grep -oE '^requests +[0-9]+ sent, [0-9]+ ok, [0-9]+ failed' "$WORK/replay.log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
printf '%s\t%s\t%s\t%s\t%s\t%s\n' "live replay" "exit $replay_code" "want 0" "$([ "$replay_code" = 0 ] && echo ok || echo UNEXPECTED)" "" "$(grep -E '^(requests|restarts)' "$WORK/replay.log" | tr '\n' ' ')" >>"$STEPS"
[ "$replay_code" = 0 ] && [ "${failed_requests:-1}" = 0 ] || bad=1

say "steps ($STEPS)"
column -t -s $'\t' "$STEPS"
echo
echo "PostgreSQL database $DBNAME kept for a look (drop it: psql $PG/postgres -c 'DROP DATABASE $DBNAME')"
echo "bot log: $WORK/bot.log ($(grep -c '"event":"shadow_drained"' "$WORK/bot.log") shadow_drained, $(grep -c '"event":"shadow_write_failed"' "$WORK/bot.log") shadow_write_failed)"
[ "$bad" = 0 ] && echo "REHEARSAL OK: every step ended as expected" || echo "REHEARSAL FAILED: see the UNEXPECTED lines"
exit "$bad"
