#!/usr/bin/env bash
# Runs a stagesim plan in SHARDS shards with GNU parallel, on this machine or over ssh, and
# merges the parts: the output (and exit code) are those of the same command run whole.
#
#   examples/cluster/parallel.sh SHARDS WORKDIR COMMAND ARGS...
#   examples/cluster/parallel.sh 7 out/study sweep scenarios/queueing/mm1.toml \
#       --key load.rate --from 100/s --to 900/s --step 100/s --replications 10
#   examples/cluster/parallel.sh 3 out/gate check scenarios/ci/capacity.toml --junit out/junit.xml
#
# COMMAND is `sweep` or `check` (what `stagesim plan` takes). Adaptive work (a check whose
# thresholds are still inconclusive) runs in rounds: each merge writes the next round's plan.
#
# Environment:
#   STAGESIM       the binary (default: stagesim on PATH)
#   JOBS           shards run at once on each host (default: GNU parallel's, one per core)
#   SSHLOGINFILE   hosts to run on (GNU parallel's --sshloginfile); each needs the same
#                  checkout at the same path and stagesim on its PATH. WORKDIR is relative.
set -euo pipefail

if [ "$#" -lt 3 ]; then
  sed -n '2,18p' "$0" >&2
  exit 2
fi
shards=$1
workdir=$2
shift 2
stagesim=${STAGESIM:-stagesim}

remote=()
if [ -n "${SSHLOGINFILE:-}" ]; then
  # The plan goes to each host; each part comes back; the checkout is at the same path.
  remote=(--sshloginfile "$SSHLOGINFILE" --workdir "$PWD")
fi
jobs=()
if [ -n "${JOBS:-}" ]; then
  jobs=(-j "$JOBS")
fi

mkdir -p "$workdir"
round=1
"$stagesim" --quiet plan "$@" >"$workdir/plan-$round.json"
while :; do
  dir="$workdir/round-$round"
  rm -rf "$dir"
  mkdir -p "$dir"
  transfer=()
  if [ "${#remote[@]}" -gt 0 ]; then
    transfer=(--basefile "$workdir/plan-$round.json" --return "$dir/part-{}.json" --cleanup)
  fi
  # --halt now,fail=1: one failed shard stops the round (its error is on stderr).
  parallel --halt now,fail=1 "${jobs[@]}" "${remote[@]}" "${transfer[@]}" \
    "$stagesim" --quiet work "$workdir/plan-$round.json" --shard "{}/$shards" --part "$dir/part-{}.json" \
    ::: $(seq 1 "$shards")
  status=0
  "$stagesim" --quiet merge "$dir"/part-*.json --next-plan "$workdir/plan-$((round + 1)).json" || status=$?
  if [ "$status" -ne 6 ]; then
    exit "$status"
  fi
  round=$((round + 1))
done
