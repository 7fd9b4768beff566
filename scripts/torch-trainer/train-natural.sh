#!/usr/bin/env bash
# Trains the natural-video recipe's three instances (scripts/torch-trainer/natural-recipe.ts) one
# after another, unattended: for each, prepare-natural.ts (once), train.py on ONE thread at low
# priority (resuming where a previous run stopped), then pack.ts (the engine-vs-PyTorch check and
# the PredLab checkpoint in <work>/trained). A finished instance leaves <work>/done and is skipped.
#
#   setsid nohup bash scripts/torch-trainer/train-natural.sh > native-models/.natural-train.log 2>&1 &
#
# Instances to run may be given (default 1 2 3): bash scripts/torch-trainer/train-natural.sh 2 3
# Progress: tail native-models/.natural-model-1/train.log (one line per epoch) or its curve.csv.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PREDLAB_TORCH_PYTHON:-/usr/bin/python3}
for i in "${@:-1 2 3}"; do
  for n in $i; do
    W=native-models/.natural-model-$n
    if [ -f "$W/done" ]; then echo "instance $n: done already ($W/done)"; continue; fi
    if [ ! -f "$W/train-args.txt" ]; then
      echo "instance $n: preparing $W ($(date -u +%FT%TZ))"
      nice -n 10 npx tsx scripts/torch-trainer/prepare-natural.ts --instance "$n" --work "$W"
    fi
    RESUME=""
    if [ -f "$W/torch-state.pt" ]; then RESUME="--resume"; fi
    echo "instance $n: training ($(date -u +%FT%TZ)) $RESUME; log $W/train.log"
    # shellcheck disable=SC2046
    nice -n 10 "$PY" scripts/torch-trainer/train.py --work "$W" $(cat "$W/train-args.txt") $RESUME >> "$W/train.log" 2>&1
    echo "instance $n: packing ($(date -u +%FT%TZ))"
    # A failed pack leaves the instance without 'done': running this script again packs it again
    # (train.py --resume has nothing left to train) without holding up the next instance.
    if nice -n 10 npx tsx scripts/torch-trainer/pack.ts --work "$W" > "$W/pack.log" 2>&1; then
      date -u +%FT%TZ > "$W/done"
      echo "instance $n: finished ($(date -u +%FT%TZ)); checkpoint $W/trained"
    else
      echo "instance $n: pack.ts failed (see $W/pack.log); trained weights are in $W/torch-best.bin"
    fi
  done
done
