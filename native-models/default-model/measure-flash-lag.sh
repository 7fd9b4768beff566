#!/usr/bin/env bash
# Flash-lag of the default checkpoint against speed and readout delay, with the predlab CLI:
# a Markdown table (variant x speed x readout delay -> fitted PSE [95% CI], direct PSE).
#   bash native-models/default-model/measure-flash-lag.sh [--write]
# --write puts the table in this folder's README.md (replacing its "## Flash-lag" section).
# Small on purpose (minutes on one core): few offsets and trials, so the fitted CIs are wide.
# Override with environment variables: DB, TRIALS, SPEEDS, DELAYS, VARIANTS (space-separated).
set -euo pipefail
DB=${DB:-/tmp/fl.sqlite}
TRIALS=${TRIALS:-3}
OFFSETS='[-3,-2,-1,-0.5,0,0.5,1,2,3]'
read -r -a SPEEDS <<<"${SPEEDS:-5 10 15}"
read -r -a DELAYS <<<"${DELAYS:-1 2}"
read -r -a VARIANTS <<<"${VARIANTS:-continuous flash-initiated flash-terminated}"
cd "$(dirname "$0")/../.."
table=$(mktemp)
trap 'rm -f "$table"' EXIT

{
  echo "| variant | speed (deg/s) | px/frame | readout delay (frames) | PSE deg [95% CI] | direct PSE deg | trials |"
  echo "|---|---|---|---|---|---|---|"
} >"$table"
for variant in "${VARIANTS[@]}"; do
  for speed in "${SPEEDS[@]}"; do
    for delay in "${DELAYS[@]}"; do
      out=$(npx predlab --db "$DB" session run --model default --paradigm flash-lag --seed 11 \
        --param variant="$variant" --param speedDegPerS="$speed" --param offsetsDeg="$OFFSETS" \
        --param trialsPerOffset="$TRIALS" --readout-delay "$delay" 2>&1 || true)
      id=$(grep -o 'Model session [0-9]*' <<<"$out" | grep -o '[0-9]*$' || true)
      if [ -z "$id" ]; then
        echo "run failed ($variant, $speed deg/s, delay $delay): $(tail -1 <<<"$out")" >&2
        echo "| $variant | $speed | | $delay | run failed | | |" >>"$table"
        continue
      fi
      npx predlab --db "$DB" analyze --session "$id" --bootstrap 200 --json 2>/dev/null | node -e '
        const [variant, speed, delay] = process.argv.slice(1);
        const a = JSON.parse(require("fs").readFileSync(0, "utf8"));
        // One condition per session here; its statistics hold the PSEs.
        const stats = [...a.statistics, ...a.conditions.flatMap((c) => c.statistics)];
        const st = (k) => stats.find((s) => s.key === k);
        const f = (x) => (x === null || x === undefined ? "-" : x.toFixed(2));
        const pse = st("pse-deg"), direct = st("direct-pse-deg");
        const ci = pse && pse.ci ? ` [${f(pse.ci[0])}, ${f(pse.ci[1])}]` : "";
        // The observer defaults: 20 deg across 80 px at 10 frames/s, so 0.4 px/frame per deg/s.
        console.log(`| ${variant} | ${speed} | ${speed * 0.4} | ${delay} | ${f(pse && pse.value)}${ci} | ${f(direct && direct.value)} | ${a.trials} |`);
      ' "$variant" "$speed" "$delay" >>"$table"
      tail -1 "$table"
    done
  done
done
echo
cat "$table"

if [ "${1:-}" = "--write" ]; then
  node -e '
    const fs = require("fs");
    const [readme, table, trials, offsets] = process.argv.slice(1);
    const section = `## Flash-lag

Measured with \`bash native-models/default-model/measure-flash-lag.sh\` (predlab CLI, flash-lag
paradigm defaults otherwise: 2-frame flash, 2 deg flash jitter; observer defaults: 20 deg across
80 px, 10 frames/s, decision noise 0.1 deg). Offsets ${offsets} deg, ${trials} trials each.
PSE: fitted point of subjective equality (positive = the flash is seen behind the bar, the
flash-lag effect), with its bootstrap 95% CI. Direct PSE: where a least-squares line through the
readout perceived offsets crosses zero (free of decision noise and of the psychometric fit).

${fs.readFileSync(table, "utf8").trim()}
`;
    const text = fs.readFileSync(readme, "utf8");
    const at = text.indexOf("## Flash-lag");
    const next = at < 0 ? -1 : text.indexOf("\n## ", at + 1);
    const out = at < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, at)}${section}${next < 0 ? "" : text.slice(next)}`;
    fs.writeFileSync(readme, out);
  ' native-models/default-model/README.md "$table" "$TRIALS" "$OFFSETS"
  echo "wrote the Flash-lag section of native-models/default-model/README.md"
fi
