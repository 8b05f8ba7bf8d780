#!/usr/bin/env bash
# Submits the shards as a job array and the merge as a job that runs only after every array
# task succeeded (afterok). Run from the checkout: examples/cluster/slurm/submit.sh
set -euo pipefail

here=$(dirname "$0")
mkdir -p results
rm -f results/part-*.json
array=$(sbatch --parsable "$here/shards.sbatch")
merge=$(sbatch --parsable --dependency="afterok:${array}" "$here/merge.sbatch")
echo "shards: job ${array}; merge: job ${merge} (results/verdict.txt)"
