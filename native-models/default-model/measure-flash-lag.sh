#!/usr/bin/env bash
# Flash-lag of the default checkpoint against speed and readout delay, with the predlab CLI:
# Markdown tables (variant x speed x readout delay -> the model's fitted and direct PSE with 95%
# CIs, beside copy-last and the oracle on the same trials, and the trials each could not read),
# one for the translating bar and one for the rotating bar (Nijhawan 1994; the display of
# Lotter et al. 2020's flash-lag figure). The paradigm's defaults otherwise: a 33 ms flash, model
# frames that integrate light over each 100 ms frame (TEMPORAL=sample draws frames as a display at
# the model's rate would; FLASH_MS sets the flash).
#   bash native-models/default-model/measure-flash-lag.sh [--write]
#   MODEL=default-2 DB=/tmp/fl2.sqlite bash native-models/default-model/measure-flash-lag.sh --write
# --write puts the tables in the measured checkpoint's README.md (replacing its "## Flash-lag"
# section): MODEL (default, default-2 or default-3: the default set's instances) picks it.
# Small on purpose (minutes on one core): few offsets and trials, so the fitted CIs are wide.
# Override with environment variables: DB, TRIALS, SPEEDS, ROT_SPEEDS, DELAYS, VARIANTS, MOTIONS
# (space-separated; MOTIONS="rotate" measures the rotating bar only), ROT_SEGMENT (outer or inner:
# which segment of the rotating bar flashes).
set -euo pipefail
DB=${DB:-/tmp/fl.sqlite}
MODEL=${MODEL:-default}
case "$MODEL" in
  default | default-2 | default-3) README="native-models/default-model${MODEL#default}/README.md" ;;
  *) echo "MODEL: default, default-2 or default-3, not '$MODEL'" >&2; exit 2 ;;
esac
TRIALS=${TRIALS:-3}
TEMPORAL=${TEMPORAL:-integrate}
FLASH_MS=${FLASH_MS:-33.333}
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
  echo "| variant | speed (deg/s) | px/frame | readout delay (frames) | model: PSE deg [95% CI] | model: direct PSE deg [95% CI] | copy-last: direct PSE | oracle: direct PSE | no answer (model / copy-last / oracle) | trials |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$table"
{
  echo "| variant | angular speed (deg of rotation/s) | px/frame at the flash | readout delay (frames) | model: PSE deg of rotation [95% CI] | model: direct PSE deg of rotation [95% CI] | copy-last: direct PSE | oracle: direct PSE | no answer (model / copy-last / oracle) | trials |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
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
  run=$(npx predlab --db "$DB" session run --model "$MODEL" --paradigm flash-lag --seed 11 \
    --param variant="$variant" --param speedDegPerS="$speed" --param blankAfterFlashMs="$BLANK_MS" --param flashDurationMs="$FLASH_MS" "${params[@]}" \
    --param trialsPerOffset="$TRIALS" --readout-delay "$delay" --temporal "$TEMPORAL" 2>&1 || true)
  id=$(grep -o 'Model session [0-9]*' <<<"$run" | grep -o '[0-9]*$' || true)
  if [ -z "$id" ]; then
    echo "run failed ($motion, $variant, $speed deg/s, delay $delay): $(tail -1 <<<"$run")" >&2
    echo "| $variant | $speed | | $delay | run failed | | | | | |" >>"$out"
    return
  fi
  local analysis
  if ! analysis=$(npx predlab --db "$DB" analyze --session "$id" --bootstrap 200 --json 2>/dev/null) || [ -z "$analysis" ]; then
    echo "analysis failed (session $id: $motion, $variant, $speed deg/s, delay $delay)" >&2
    echo "| $variant | $speed | | $delay | analysis failed | | | | | |" >>"$out"
    return
  fi
  node -e '
    const [motion, speed, delay, variant] = process.argv.slice(1);
    const a = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const f = (x) => (x === null || x === undefined ? "-" : x.toFixed(2));
    // A number the data do not determine is written so, never as a number.
    const show = (s) => (!s ? "-" : s.undetermined ? "not determined" : `${f(s.value)}${s.ci ? ` [${f(s.ci[0])}, ${f(s.ci[1])}]` : ""}`);
    const st = (stats, k) => stats.find((s) => s.key === k);
    const model = a.conditions[0].statistics;
    const ref = (kind) => (a.references || []).find((r) => r.kind === kind);
    const refStat = (kind) => { const r = ref(kind); return r ? st(r.conditions[0] ? r.conditions[0].statistics : [], "direct-pse-deg") : null; };
    const none = (stats) => { const s = st(stats, "no-readout"); return s ? s.value : "-"; };
    const noAnswer = `${none(a.statistics)} / ${ref("copy-last") ? none(ref("copy-last").statistics) : "-"} / ${ref("oracle") ? none(ref("oracle").statistics) : "-"}`;
    // The observer defaults: 20 deg across 80 px at 10 frames/s, so 0.4 px/frame per deg/s (rotating bar: along the flash ring at 4.75 deg).
    const px = motion === "rotate" ? (Number(speed) * Math.PI / 180) * 4.75 * 0.4 : Number(speed) * 0.4;
    console.log(`| ${variant} | ${speed} | ${px.toFixed(1)} | ${delay} | ${show(st(model, "pse-deg"))} | ${show(st(model, "direct-pse-deg"))} | ${show(refStat("copy-last"))} | ${show(refStat("oracle"))} | ${noAnswer} | ${a.trials} |`);
  ' "$motion" "$speed" "$delay" "$variant" <<<"$analysis" >>"$out"
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
    const [readme, table, rtable, trials, offsets, rotOffsets, blankMs, temporal, flashMs, model] = process.argv.slice(1);
    const section = `## Flash-lag

Measured with \`${model === "default" ? "" : `MODEL=${model} `}bash native-models/default-model/measure-flash-lag.sh\` (predlab CLI, flash-lag
paradigm defaults otherwise: a ${flashMs} ms flash, 2 deg flash jitter, ${blankMs} ms blank after a
flash-terminated flash; observer defaults: 20 deg across 80 px, 10 frames/s, ${temporal} mode
(${temporal === "integrate" ? "each model frame sums the light of its 100 ms, so the flash is as brief for the model as for a person" : "each model frame is what a display at 10 frames/s would draw"}), decision noise one step of the offset grid). Offsets ${offsets} deg, ${trials} trials each.
PSE: fitted point of subjective equality (positive = the flash is seen behind the bar, the
flash-lag effect), with its bootstrap 95% CI. Direct PSE: where the mean perceived offset crosses
zero, read locally between the two offsets around zero, with a bootstrap 95% CI over trials (free
of decision noise and of the psychometric fit). Beside the model, on the same trials, copy-last
(predicts the last frame it saw: no motion learned) and the oracle (predicts the true next frame:
what the display itself gives); "no answer": trials whose predicted frame showed no bar or no
flash (left out, never guessed). A number the data do not determine is written so.
Readout delay d reads the prediction of the model frame d after the one in which the flash is
seen (integrating: the frame holding the middle of the flash), made from the frames before it.
Flash-terminated: the bar stops at the flash, stays with it and vanishes with it, then fixation
alone follows for ${blankMs} ms, as in Eagleman & Sejnowski (2000).

${fs.readFileSync(table, "utf8").trim()}

### Rotating bar

The display of Nijhawan (1994) and of the flash-lag figure of Lotter et al. (2020): a bar 6 deg long
rotating about fixation through 90 deg centred on the vertical, the two collinear outer segments
(3.5 to 6 deg from fixation) flashed; flash orientations jittered over 20 deg. Offsets
${rotOffsets} deg of rotation, ${trials} trials each. The readout takes each segment ring\x27s
orientation in the predicted frame; PSEs in degrees of rotation. px/frame: the flash ring\x27s arc
speed in model pixels per frame (4.75 deg from fixation).

${fs.readFileSync(rtable, "utf8").trim()}
`;
    const text = fs.readFileSync(readme, "utf8");
    const at = text.indexOf("## Flash-lag");
    const next = at < 0 ? -1 : text.indexOf("\n## ", at + 1);
    const out = at < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, at)}${section}${next < 0 ? "" : text.slice(next)}`;
    fs.writeFileSync(readme, out);
  ' "$README" "$table" "$rtable" "$TRIALS" "$OFFSETS" "$ROT_OFFSETS" "$BLANK_MS" "$TEMPORAL" "$FLASH_MS" "$MODEL"
  echo "wrote the Flash-lag section of $README"
fi
