#!/usr/bin/env bash
# Flash-lag of the default checkpoint against speed and readout delay, with the predlab CLI.
# Prints a Markdown table (variant x speed x readout delay -> fitted PSE [95% CI], direct PSE).
#   bash native-models/default-model/measure-flash-lag.sh [db file] [trials per offset]
# Small on purpose (minutes on one core): few offsets and trials, so the CIs are wide.
set -euo pipefail
DB=${1:-/tmp/fl.sqlite}
TRIALS=${2:-3}
OFFSETS='[-3,-2,-1,-0.5,0,0.5,1,2,3]'
SPEEDS=(5 10 15)
DELAYS=(1 2)
VARIANTS=(continuous flash-initiated flash-terminated)
cd "$(dirname "$0")/../.."

echo "| variant | speed (deg/s) | px/frame | readout delay (frames) | PSE deg [95% CI] | direct PSE deg | trials |"
echo "|---|---|---|---|---|---|---|"
for variant in "${VARIANTS[@]}"; do
  for speed in "${SPEEDS[@]}"; do
    for delay in "${DELAYS[@]}"; do
      line=$(npx predlab --db "$DB" session run --model default --paradigm flash-lag --seed 11 \
        --param variant="$variant" --param speedDegPerS="$speed" --param offsetsDeg="$OFFSETS" \
        --param trialsPerOffset="$TRIALS" --readout-delay "$delay" 2>&1 | grep -o 'Model session [0-9]*' || true)
      id=${line##* }
      if [ -z "$id" ]; then echo "| $variant | $speed | | $delay | run failed | | |"; continue; fi
      npx predlab --db "$DB" analyze --session "$id" --bootstrap 200 --json 2>/dev/null | node -e '
        const [variant, speed, delay] = process.argv.slice(1);
        const a = JSON.parse(require("fs").readFileSync(0, "utf8"));
        const st = (k) => a.statistics.find((s) => s.key === k);
        const f = (x) => (x === null || x === undefined ? "-" : x.toFixed(2));
        const pse = st("pse-deg"), direct = st("direct-pse-deg");
        const ci = pse && pse.ci ? ` [${f(pse.ci[0])}, ${f(pse.ci[1])}]` : "";
        // 20 deg across 80 px at 10 frames/s (the observer defaults): 0.4 px per deg/s.
        console.log(`| ${variant} | ${speed} | ${speed * 0.4} | ${delay} | ${f(pse && pse.value)}${ci} | ${f(direct && direct.value)} | ${a.trials} |`);
      ' "$variant" "$speed" "$delay"
    done
  done
done
