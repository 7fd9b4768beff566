#!/usr/bin/env bash
# Flash-lag of the default checkpoint against speed and readout delay, with the predlab CLI:
# Markdown tables (variant x speed x readout delay -> fitted PSE [95% CI], direct PSE), one for
# the translating bar and one for the rotating bar (Nijhawan 1994; the display of Lotter et al.
# 2020's flash-lag figure).
#   bash native-models/default-model/measure-flash-lag.sh [--write]
# --write puts the tables in this folder's README.md (replacing its "## Flash-lag" section).
# Small on purpose (minutes on one core): few offsets and trials, so the fitted CIs are wide.
# Override with environment variables: DB, TRIALS, SPEEDS, ROT_SPEEDS, DELAYS, VARIANTS, MOTIONS
# (space-separated; MOTIONS="rotate" measures the rotating bar only), ROT_SEGMENT (outer or inner:
# which segment of the rotating bar flashes).
set -euo pipefail
DB=${DB:-/tmp/fl.sqlite}
TRIALS=${TRIALS:-3}
OFFSETS='[-3,-2,-1,-0.5,0,0.5,1,2,3]'
# Flash-terminated: fixation alone after the flash (ms), given explicitly so the README's text holds.
BLANK_MS=500
# Rotating bar: offsets and speeds in degrees of rotation angle; a 90 deg path centred on the
# vertical, flash orientations jittered over 20 deg; the outer segments flash (paradigm default
# geometry: central bar 3 deg half-length, outer segments 3.5 to 6 deg, so at 4.75 deg eccentricity).
ROT_OFFSETS='[-18,-12,-6,-3,0,3,6,12,18]'
ROT_PATH=(--param travelDeg=90 --param flashJitterDeg=20)
ROT_SEGMENT=${ROT_SEGMENT:-outer}
case "$ROT_SEGMENT" in
  outer) ROT_ECC=4.75 ;;
  inner) ROT_ECC=1.5 ;;
  *) echo "ROT_SEGMENT: outer or inner, not '$ROT_SEGMENT'" >&2; exit 2 ;;
esac
read -r -a SPEEDS <<<"${SPEEDS:-5 10 15}"
read -r -a ROT_SPEEDS <<<"${ROT_SPEEDS:-30 60 120}"
read -r -a DELAYS <<<"${DELAYS:-1 2}"
read -r -a VARIANTS <<<"${VARIANTS:-continuous flash-initiated flash-terminated}"
read -r -a MOTIONS <<<"${MOTIONS:-translate rotate}"
# Checked before minutes of measuring: the README describes both displays, outer segment flashed.
if [ "${1:-}" = "--write" ] && { [ "${MOTIONS[*]}" != "translate rotate" ] || [ "$ROT_SEGMENT" != outer ]; }; then
  echo "--write needs both displays measured as the README describes them (leave MOTIONS and ROT_SEGMENT unset)" >&2
  exit 2
fi
cd "$(dirname "$0")/../.."
table=$(mktemp)
rtable=$(mktemp)
trap 'rm -f "$table" "$rtable"' EXIT

{
  echo "| variant | speed (deg/s) | px/frame | readout delay (frames) | PSE deg [95% CI] | direct PSE deg | trials |"
  echo "|---|---|---|---|---|---|---|"
} >"$table"
{
  echo "| variant | angular speed (deg of rotation/s) | px/frame at the flash | readout delay (frames) | PSE deg of rotation [95% CI] | PSE as arc at the flash (deg) | direct PSE deg of rotation | direct PSE as arc (deg) | trials |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$rtable"

# One model session and its analysis as a table row: measure <motion> <variant> <speed> <delay> <out table>
measure() {
  local motion=$1 variant=$2 speed=$3 delay=$4 out=$5 params
  if [ "$motion" = rotate ]; then
    params=(--param motion=rotate --param flashSegment="$ROT_SEGMENT" --param offsetsDeg="$ROT_OFFSETS" "${ROT_PATH[@]}")
  else
    params=(--param offsetsDeg="$OFFSETS")
  fi
  local run id
  run=$(npx predlab --db "$DB" session run --model default --paradigm flash-lag --seed 11 \
    --param variant="$variant" --param speedDegPerS="$speed" --param blankAfterFlashMs="$BLANK_MS" "${params[@]}" \
    --param trialsPerOffset="$TRIALS" --readout-delay "$delay" 2>&1 || true)
  id=$(grep -o 'Model session [0-9]*' <<<"$run" | grep -o '[0-9]*$' || true)
  if [ -z "$id" ]; then
    echo "run failed ($motion, $variant, $speed deg/s, delay $delay): $(tail -1 <<<"$run")" >&2
    if [ "$motion" = rotate ]; then echo "| $variant | $speed | | $delay | run failed | | | | |" >>"$out"; else echo "| $variant | $speed | | $delay | run failed | | |" >>"$out"; fi
    return
  fi
  npx predlab --db "$DB" analyze --session "$id" --bootstrap 200 --json 2>/dev/null | node -e '
    const [motion, variant, speed, delay, ecc] = process.argv.slice(1);
    const a = JSON.parse(require("fs").readFileSync(0, "utf8"));
    // One condition per session here; its statistics hold the PSEs.
    const stats = [...a.statistics, ...a.conditions.flatMap((c) => c.statistics)];
    const st = (k) => stats.find((s) => s.key === k);
    const f = (x) => (x === null || x === undefined ? "-" : x.toFixed(2));
    const withCi = (s) => `${f(s && s.value)}${s && s.ci ? ` [${f(s.ci[0])}, ${f(s.ci[1])}]` : ""}`;
    const pse = st("pse-deg"), direct = st("direct-pse-deg");
    // The observer defaults: 20 deg across 80 px at 10 frames/s, so 0.4 px/frame per deg/s.
    if (motion === "rotate") {
      const arcPx = (Number(speed) * Math.PI / 180) * Number(ecc) * 0.4;
      console.log(`| ${variant} | ${speed} | ${arcPx.toFixed(1)} | ${delay} | ${withCi(pse)} | ${withCi(st("pse-visual-deg"))} | ${f(direct && direct.value)} | ${f(st("direct-pse-visual-deg") && st("direct-pse-visual-deg").value)} | ${a.trials} |`);
    } else console.log(`| ${variant} | ${speed} | ${speed * 0.4} | ${delay} | ${withCi(pse)} | ${f(direct && direct.value)} | ${a.trials} |`);
  ' "$motion" "$variant" "$speed" "$delay" "$ROT_ECC" >>"$out"
  tail -1 "$out"
}

for motion in "${MOTIONS[@]}"; do
  case "$motion" in
    translate) speeds=("${SPEEDS[@]}"); out=$table ;;
    rotate) speeds=("${ROT_SPEEDS[@]}"); out=$rtable ;;
    *) echo "MOTIONS: unknown motion '$motion' (translate or rotate)" >&2; exit 2 ;;
  esac
  for variant in "${VARIANTS[@]}"; do
    for speed in "${speeds[@]}"; do
      for delay in "${DELAYS[@]}"; do
        measure "$motion" "$variant" "$speed" "$delay" "$out"
      done
    done
  done
done
echo
[[ " ${MOTIONS[*]} " == *" translate "* ]] && cat "$table" && echo
[[ " ${MOTIONS[*]} " == *" rotate "* ]] && cat "$rtable"

if [ "${1:-}" = "--write" ]; then
  node -e '
    const fs = require("fs");
    const [readme, table, rtable, trials, offsets, rotOffsets, blankMs] = process.argv.slice(1);
    const section = `## Flash-lag

Measured with \`bash native-models/default-model/measure-flash-lag.sh\` (predlab CLI, flash-lag
paradigm defaults otherwise: 2-frame flash, 2 deg flash jitter, ${blankMs} ms blank after a
flash-terminated flash; observer defaults: 20 deg across 80 px, 10 frames/s, decision noise
0.1 deg). Offsets ${offsets} deg, ${trials} trials each.
PSE: fitted point of subjective equality (positive = the flash is seen behind the bar, the
flash-lag effect), with its bootstrap 95% CI. Direct PSE: where a least-squares line through the
readout perceived offsets crosses zero (free of decision noise and of the psychometric fit).
Readout delay d reads the model\x27s prediction of frame flash onset + d, made from the frames
before it: with the 2-frame flash, delay 1 predicts the flash\x27s second frame and delay 2 the
frame after the flash. Flash-terminated: the bar stops at the flash, stays with it and vanishes
with it, then fixation alone follows for ${blankMs} ms (blankAfterFlashMs, ${blankMs / 100} model frames), as
in Eagleman & Sejnowski (2000); so delay 2 there reads what the model expects for the first blank
frame, having seen the bar stand still beside the flash for one frame.

${fs.readFileSync(table, "utf8").trim()}

### Rotating bar

The display of Nijhawan (1994) and of the flash-lag figure of Lotter et al. (2020): a bar 6 deg long
rotating about fixation through 90 deg centred on the vertical, the two collinear outer segments
(3.5 to 6 deg from fixation) flashed; flash orientations jittered over 20 deg. Offsets
${rotOffsets} deg of rotation, ${trials} trials each. The readout takes each segment ring\x27s
orientation in the predicted frame; PSEs in degrees of rotation and as the arc they span at the
flash (4.75 deg from fixation). px/frame: the flash ring\x27s arc speed in model pixels per frame.

${fs.readFileSync(rtable, "utf8").trim()}
`;
    const text = fs.readFileSync(readme, "utf8");
    const at = text.indexOf("## Flash-lag");
    const next = at < 0 ? -1 : text.indexOf("\n## ", at + 1);
    const out = at < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, at)}${section}${next < 0 ? "" : text.slice(next)}`;
    fs.writeFileSync(readme, out);
  ' native-models/default-model/README.md "$table" "$rtable" "$TRIALS" "$OFFSETS" "$ROT_OFFSETS" "$BLANK_MS"
  echo "wrote the Flash-lag section of native-models/default-model/README.md"
fi
