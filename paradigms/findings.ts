/**
 * What a comparison found, in plain sentences: each session's headline effect ("The model shows a
 * flash-lag: +0.42 deg [0.10, 0.71]"), person against model in one sentence, the spread across a
 * set of model instances, and a warning when a checkpoint predicts worse than copying the last
 * frame. Pure and generic: it reads the analysis result's named statistics and fits and never
 * names a paradigm, so the Compare page and the CLI can say the same thing.
 *
 * The headline of a condition is its first comparable statistic. It is read as an effect that is
 * absent at 0 when it reports the condition's fitted PSE: on a signed stimulus axis whose 0 is
 * physical equality (every 2AFC paradigm here), a PSE away from 0 is the illusion or bias itself.
 */
import { fmt } from './format.js';
import type { Comparison, ComparisonDifference, ComparisonRow, ModelInfo, Participant, ParticipantKind } from './records.js';
import { headlineStatistic } from './references.js';
import type { Statistic } from './types.js';

export interface Finding {
  kind: 'effect' | 'reference' | 'difference' | 'set' | 'warning';
  sessionIds: number[];
  text: string;
}

const digits = (unit: string) => (unit === 'ms' ? 1 : unit === 'frames' ? 0 : 2);
/** A number as printed, with a true minus sign and no "-0.00". */
const num = (x: number | null, unit: string) => {
  const t = fmt(x, digits(unit));
  return /^-0\.?0*$/.test(t) ? t.slice(1) : t.replace('-', '−');
};
const signed = (x: number, unit: string) => {
  const t = num(x, unit);
  return `${t.startsWith('−') || /^0\.?0*$/.test(t) || t === 'n/a' ? '' : '+'}${t}${unit ? ` ${unit}` : ''}`;
};
const interval = (ci: [number, number], unit: string) => `[${num(ci[0], unit)}, ${num(ci[1], unit)}]`;

/** "Flash-lag (PSE)" -> "flash-lag"; acronyms stay as they are. */
export function effectName(label: string): string {
  const bare = label.replace(/\s*\([^)]*\)\s*$/, '').trim() || label;
  return /^[A-Z][a-z]/.test(bare) ? bare[0]!.toLowerCase() + bare.slice(1) : bare;
}

const WHO: Record<ParticipantKind, string> = { human: 'person', model: 'model', simulated: 'simulated observer' };
/**
 * "The model (PredNet x, #2)"; a label that already says what it is is not repeated ("The simulated
 * observer (pse 0, sigma 1) (#3)"); a reference observer is named as one ("The copy-last reference (#3)").
 */
const who = (r: Pick<ComparisonRow, 'kind' | 'label' | 'sessionId' | 'reference'>) =>
  r.reference
    ? `The ${r.reference === 'untrained' ? 'untrained-network' : r.reference} reference (#${r.sessionId})`
    : r.label.toLowerCase().startsWith(WHO[r.kind])
      ? `The ${r.label} (#${r.sessionId})`
      : `The ${WHO[r.kind]} (${r.label}, #${r.sessionId})`;

/** The condition's headline statistic, and whether it is an effect absent at 0 (it reports the fitted PSE). */
export function headline(c: Comparison, row: ComparisonRow): { stat: Statistic; effect: boolean } | null {
  const stat = headlineStatistic(row.statistics);
  if (!stat || stat.value === null) return null;
  const fit = c.analyses.find((a) => a.sessionId === row.sessionId)?.conditions.find((k) => k.key === row.condition)?.fit;
  return { stat, effect: stat.absentAtZero ?? (!!fit && stat.value === fit.pse) };
}

const conditionsOf = (c: Comparison, paradigmId: string, group: string) => new Set(c.rows.filter((r) => r.paradigmId === paradigmId && r.group === group).map((r) => r.condition));

/** One sentence per session and condition on its headline statistic. */
export function effectSentence(c: Comparison, row: ComparisonRow): string | null {
  const h = headline(c, row);
  const where = conditionsOf(c, row.paradigmId, row.group).size > 1 ? ` in ${row.conditionLabel}` : '';
  if (!h) {
    const named = row.statistics.find((x) => x.comparable);
    return named ? `${who(row)}: no ${effectName(named.label)}${where} could be measured (${row.trials ? `no fit from ${row.trials} trial(s)` : 'no trial with an answer to fit'}; see the notes).` : null;
  }
  const { stat: s, effect } = h;
  const name = effectName(s.label);
  if (s.undetermined) return `${who(row)}: its ${name}${where} is not determined by the data (${s.undetermined.replace(/^Not determined by the data: /, '').replace(/\.$/, '')}).`;
  const value = signed(s.value!, s.unit);
  if (!s.ci) return `${who(row)}: ${name}${where} ${value} (no confidence interval).`;
  const ci = interval(s.ci, s.unit);
  if (!effect) return `${who(row)} has a ${name}${where} of ${num(s.value, s.unit)}${s.unit ? ` ${s.unit}` : ''} ${ci}.`;
  const lo = Math.min(...s.ci);
  const hi = Math.max(...s.ci);
  // A model's effect counts only beyond what copy-last shows on the same trials.
  const beyond = (c.beyondCopyLast ?? []).find((b) => b.modelSessionId === row.sessionId && b.condition === row.condition && b.statistic === s.key);
  if (beyond && (lo > 0 || hi < 0)) {
    const shown = `${value} ${ci}`;
    if (beyond.undetermined || beyond.diff === null || !beyond.diffCi)
      return `${who(row)}: ${name}${where} ${shown}, but whether it exceeds copy-last's on the same trials is not determined (${beyond.undetermined ?? 'no paired interval'}), so no effect of the model is claimed.`;
    const d = `${signed(beyond.diff, beyond.unit)} ${interval(beyond.diffCi, beyond.unit)}, paired over ${beyond.sharedTrials} trials`;
    if (lo > 0 && beyond.diffCi[0] > 0) return `${who(row)} shows a ${name}${where} beyond copy-last's: ${shown}; model minus copy-last ${d}.`;
    if (hi < 0 && beyond.diffCi[1] < 0) return `${who(row)} shows a reversed ${name}${where} beyond copy-last's: ${shown}; model minus copy-last ${d}.`;
    return `${who(row)}: ${name}${where} ${shown}, no more than copy-last shows on the same trials (model minus copy-last ${d}): the display and the readout give it without prediction.`;
  }
  if (lo > 0) return `${who(row)} shows a ${name}${where}: ${value} ${ci}.`;
  if (hi < 0) return `${who(row)} shows a reversed ${name}${where}: ${value} ${ci}.`;
  return `${who(row)} does not show a ${name}${where}: ${value} ${ci}, an interval that includes 0.`;
}

/**
 * A model beside its reference observers on the same trials, in one sentence: what copy-last and
 * the oracle show on the model's headline statistic, and the model's value as a fraction of the
 * oracle's where the oracle shows an effect (else why not).
 */
export function referenceSentence(c: Comparison, row: ComparisonRow): string | null {
  const links = (c.references ?? []).filter((r) => r.modelSessionId === row.sessionId);
  const h = headline(c, row);
  const named = h?.stat ?? row.statistics.find((x) => x.comparable);
  if (!links.length || !named) return null;
  const name = effectName(named.label);
  const where = conditionsOf(c, row.paradigmId, row.group).size > 1 ? ` in ${row.conditionLabel}` : '';
  const valueOf = (sessionId: number) => c.rows.find((r) => r.sessionId === sessionId && r.condition === row.condition)?.statistics.find((s) => s.key === named.key);
  const describe = (s: Statistic | undefined) =>
    !s || s.value === null ? 'none measured' : s.undetermined ? 'not determined' : `${signed(s.value, s.unit)}${s.ci ? ` ${interval(s.ci, s.unit)}` : ''}`;
  const parts = links.map((l) => `${l.kind} (#${l.sessionId}) ${describe(valueOf(l.sessionId))}`);
  const oracle = links.find((l) => l.kind === 'oracle');
  const m = valueOf(row.sessionId);
  const o = oracle ? valueOf(oracle.sessionId) : undefined;
  const oracleRow = oracle ? c.rows.find((r) => r.sessionId === oracle.sessionId && r.condition === row.condition) : undefined;
  let fraction: string;
  if (!o) fraction = 'no oracle ran on these trials';
  else if (oracleRow && oracleRow.trials === 0) fraction = `the true next frame holds nothing to read at this readout delay (the oracle answered no trial): the display itself shows no ${name} there, so the model's is no fraction of it`;
  else if (!m || m.undetermined || m.value === null) fraction = `the model's ${name} is not determined, so it is no fraction of the oracle's`;
  else if (o.undetermined || o.value === null) fraction = `the oracle's ${name} is not determined, so the model's is no fraction of it`;
  else if (!o.ci || (o.ci[0] <= 0 && o.ci[1] >= 0)) fraction = `the oracle shows none (the display itself produces no ${name} here), so the model's is no fraction of it`;
  else if (!m.ci || (m.ci[0] <= 0 && m.ci[1] >= 0)) fraction = `the model's own interval includes 0, so it is no fraction of the oracle's`;
  else fraction = `the model's is ${Math.round((100 * m.value) / o.value)} % of the oracle's (the part the display itself produces)`;
  return `Beside ${who(row).replace(/^The /, 'the ')} on the same trials${where}: ${parts.join('; ')}. ${fraction[0]!.toUpperCase()}${fraction.slice(1)}.`;
}

/**
 * How a person - model interval was made, in words every medium uses: "paired bootstrap over 40
 * shared trials", or "as for independent sessions (why)", so "same trials" never stands beside
 * "independent" unexplained.
 */
export function intervalMethod(d: Pick<ComparisonDifference, 'ciMethod' | 'sharedTrials' | 'independentBecause'>): string {
  return d.ciMethod === 'paired' ? `paired bootstrap over ${d.sharedTrials} shared trials` : `as for independent sessions (${d.independentBecause ?? 'different trials'})`;
}

/** Person against model on the headline statistic, in one sentence. */
export function differenceSentence(c: Comparison, d: ComparisonDifference): string | null {
  const h = c.rows.find((r) => r.sessionId === d.humanSessionId && r.condition === d.condition);
  const m = c.rows.find((r) => r.sessionId === d.modelSessionId && r.condition === d.condition);
  if (!h || !m || headline(c, h)?.stat.key !== d.statistic) return null;
  const name = effectName(d.label);
  const where = conditionsOf(c, d.paradigmId, d.group).size > 1 ? ` in ${h.conditionLabel}` : '';
  const pair = `person ${h.label} (#${h.sessionId}) and model ${m.label} (#${m.sessionId})`;
  const how = intervalMethod(d);
  if (d.undeterminedIn.length) return `The ${name}${where} of ${pair} cannot be compared: the data of #${d.undeterminedIn.join(' and #')} do not determine it.`;
  const size = `${num(Math.abs(d.diff), d.unit)}${d.unit ? ` ${d.unit}` : ''}`;
  const ci = `${interval(d.diffCi, d.unit)}, ${how}`;
  if (d.diffCi[0] > 0 || d.diffCi[1] < 0)
    return `The person's ${name}${where} is ${d.diff > 0 ? 'larger' : 'smaller'} than the model's by ${size} (difference ${ci}; ${pair}).`;
  return `The person's and the model's ${name}${where} do not differ detectably: difference ${signed(d.diff, d.unit)} (${ci}; ${pair}).`;
}

/* ------------------------------------------------------------- checkpoints */

export interface PredictionCheck {
  status: 'worse' | 'better' | 'not-measured';
  /** Mean |E0| of the model and of copying the last frame, and their ratio (model / copy). */
  model?: number;
  copyLastFrame?: number;
  ratio?: number;
  /** Same comparison on fresh video the model never saw, when recorded. */
  heldOut?: { model: number; copyLastFrame: number; ratio: number };
}

const scores = (x: unknown): { model: number; copyLastFrame: number; ratio: number } | null => {
  const o = x as { model?: unknown; copyLastFrame?: unknown } | null | undefined;
  if (!o || typeof o.model !== 'number' || typeof o.copyLastFrame !== 'number' || !(o.copyLastFrame > 0)) return null;
  return { model: o.model, copyLastFrame: o.copyLastFrame, ratio: o.model / o.copyLastFrame };
};

/**
 * How the checkpoint predicts on its own validation data against copying the last frame, where
 * its files record it (`validation: { model, copyLastFrame }` in its source or training record).
 */
export function predictionCheck(m: Pick<ModelInfo, 'source' | 'training'>): PredictionCheck {
  const v = scores(m.source.validation) ?? scores(m.training?.validation);
  const held = scores(m.source.heldOut) ?? scores(m.training?.heldOut);
  if (!v) return { status: 'not-measured', ...(held ? { heldOut: held } : {}) };
  return { status: v.ratio > 1 ? 'worse' : 'better', ...v, ...(held ? { heldOut: held } : {}) };
}

const e0 = (x: number) => x.toPrecision(3);

/** The warning (or note) for a model session's checkpoint; null when it predicts better than copying the last frame everywhere measured. */
export function checkpointWarning(m: Pick<ModelInfo, 'label' | 'source' | 'training'>, sessionIds: number[]): Finding | null {
  const p = predictionCheck(m);
  const at = sessionIds.length ? ` (#${sessionIds.join(', #')})` : '';
  const held = p.heldOut && p.heldOut.ratio > 1 ? ` On fresh video it never saw it does worse than copying the last frame (mean |E0| ${e0(p.heldOut.model)} vs ${e0(p.heldOut.copyLastFrame)}, ${p.heldOut.ratio.toFixed(2)}×), so read a null result with care.` : '';
  if (p.status === 'worse')
    return { kind: 'warning', sessionIds, text: `Checkpoint ${m.label}${at} predicts worse than copying the last frame on its own validation data (mean |E0| ${e0(p.model!)} vs ${e0(p.copyLastFrame!)}, ${p.ratio!.toFixed(2)}×): it has not learned to predict motion, so a null result from it means little.${held}` };
  if (p.status === 'not-measured')
    return { kind: 'warning', sessionIds, text: `Checkpoint ${m.label}${at}: how well it predicts was not measured (its files record no comparison with copying the last frame on validation data), so a null result from it may only mean it has not learned to predict motion. Measure it on held-out video before reading one.${held}` };
  return held ? { kind: 'warning', sessionIds, text: `Checkpoint ${m.label}${at} beats copying the last frame on its validation data (${p.ratio!.toFixed(2)}×).${held}` } : null;
}

/* -------------------------------------------------------------- model sets */

/** The set a checkpoint belongs to by its label: a trailing seed, run or instance number removed ("prednet-seed3", "prednet instance 3" -> "prednet"). */
export function modelSetName(label: string): string {
  return label.replace(/[\s._-]*(?:seed|run|instance|s|r|#)?[\s._-]*\d+$/i, '').trim() || label;
}

export interface SetInstance {
  sessionId: number;
  label: string;
  value: number | null;
  ci: [number, number] | null;
  undetermined: boolean;
}

export interface ModelSetSpread {
  name: string;
  protocolId: number;
  paradigmId: string;
  group: string;
  condition: string;
  conditionLabel: string;
  statistic: string;
  label: string;
  unit: string;
  instances: SetInstance[];
  /** Over the instances whose value the data determine. */
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Instances whose interval lies above / below 0, on an effect absent at 0 (null when the statistic is not such an effect). */
  showing: { positive: number; reversed: number } | null;
  /** Sessions left out of the set: another run of a checkpoint already in it (its weights, or its registered model). */
  repeats: { sessionId: number; of: number }[];
}

/** What makes two model sessions the same checkpoint: its weights' fingerprint, else its registered model, else nothing known. */
function checkpointIdentity(p: Participant | undefined, sessionId: number): string {
  const d = (p?.details ?? {}) as { weights?: unknown; modelId?: unknown };
  if (typeof d.weights === 'string') return `weights:${d.weights}`;
  if (typeof d.modelId === 'number') return `model:${d.modelId}`;
  return `session:${sessionId}`;
}

/** Checkpoint label of a model session: its registered model's label, else the participant's. */
function checkpointLabel(p: Participant | undefined, models: Pick<ModelInfo, 'id' | 'label'>[], fallback: string): string {
  const id = (p?.details as { modelId?: unknown } | undefined)?.modelId;
  return models.find((m) => m.id === id)?.label ?? fallback;
}

/**
 * Model sessions of several checkpoints on the same protocol, grouped into sets ('label': by the
 * checkpoint label without its seed/run number; 'protocol': every model on a protocol is one set),
 * with each instance's headline statistic and the spread across instances.
 */
export function modelSets(c: Comparison, participants: Map<number, Participant>, models: Pick<ModelInfo, 'id' | 'label'>[], by: 'label' | 'protocol' = 'label'): ModelSetSpread[] {
  const groups = new Map<string, { name: string; rows: ComparisonRow[] }>();
  for (const r of c.rows) {
    if (r.kind !== 'model' || r.reference) continue;
    const name = by === 'protocol' ? 'all models' : modelSetName(checkpointLabel(participants.get(r.sessionId), models, r.label));
    const key = JSON.stringify([name, r.protocolId, r.paradigmId, r.group, r.condition]);
    const g = groups.get(key) ?? { name, rows: [] };
    g.rows.push(r);
    groups.set(key, g);
  }
  const out: ModelSetSpread[] = [];
  for (const { name, rows: all } of groups.values()) {
    // A set's instances are distinct checkpoints: a second run of one (the same weights) is not a
    // second instance, whatever its label.
    const first = new Map<string, number>();
    const repeats: ModelSetSpread['repeats'] = [];
    const rows = all.filter((r) => {
      const id = checkpointIdentity(participants.get(r.sessionId), r.sessionId);
      const seen = first.get(id);
      if (seen === undefined || seen === r.sessionId) {
        first.set(id, r.sessionId);
        return true;
      }
      repeats.push({ sessionId: r.sessionId, of: seen });
      return false;
    });
    if (new Set(rows.map((r) => r.sessionId)).size < 2) continue;
    const head = headline(c, rows[0]!);
    if (!head) continue;
    const effect = rows.every((r) => headline(c, r)?.effect);
    const instances = rows.map((r): SetInstance => {
      const s = r.statistics.find((x) => x.key === head.stat.key);
      return { sessionId: r.sessionId, label: checkpointLabel(participants.get(r.sessionId), models, r.label), value: s?.value ?? null, ci: s?.ci ?? null, undetermined: !!s?.undetermined };
    });
    const vals = instances.filter((i) => i.value !== null && !i.undetermined).map((i) => i.value!);
    const r0 = rows[0]!;
    out.push({
      name, protocolId: r0.protocolId, paradigmId: r0.paradigmId, group: r0.group, condition: r0.condition, conditionLabel: r0.conditionLabel,
      statistic: head.stat.key, label: head.stat.label, unit: head.stat.unit, instances, repeats,
      mean: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null,
      min: vals.length ? Math.min(...vals) : null,
      max: vals.length ? Math.max(...vals) : null,
      showing: effect
        ? {
            positive: instances.filter((i) => !i.undetermined && i.ci && Math.min(...i.ci) > 0).length,
            reversed: instances.filter((i) => !i.undetermined && i.ci && Math.max(...i.ci) < 0).length,
          }
        : null,
    });
  }
  return out;
}

export function setSentence(s: ModelSetSpread): string {
  const name = effectName(s.label);
  const u = s.unit ? ` ${s.unit}` : '';
  const each = s.instances.map((i) => `${i.label} ${i.undetermined || i.value === null ? 'not determined' : signed(i.value, s.unit)}`).join(', ');
  const spread = s.mean === null ? 'no instance determines it' : `mean ${signed(s.mean, s.unit)}, range ${num(s.min, s.unit)} to ${num(s.max, s.unit)}${u}`;
  const showing = s.showing === null ? '' : `; ${s.showing.positive} of ${s.instances.length} show a ${name}${s.showing.reversed ? `, ${s.showing.reversed} a reversed one` : ''} (interval excluding 0)`;
  const repeats = s.repeats.length ? ` Left out as repeats of a checkpoint already counted: ${s.repeats.map((r) => `session ${r.sessionId} (same checkpoint as session ${r.of})`).join(', ')}.` : '';
  return `Model set ${s.name} (${s.instances.length} checkpoints, protocol ${s.protocolId}, ${s.conditionLabel}): ${name} ${each}; ${spread}${showing}.${repeats}`;
}

/* ------------------------------------------------------------------- all */

/** Everything the comparison found, in reading order: warnings, each session's effect, person vs model, model sets. */
export function findings(c: Comparison, participants: Map<number, Participant>, models: Pick<ModelInfo, 'id' | 'label' | 'source' | 'training'>[], options: { sets?: 'label' | 'protocol' } = {}): Finding[] {
  const out: Finding[] = [];
  const byModel = new Map<number, number[]>();
  for (const id of new Set(c.rows.filter((r) => r.kind === 'model').map((r) => r.sessionId))) {
    const modelId = (participants.get(id)?.details as { modelId?: unknown } | undefined)?.modelId;
    if (typeof modelId === 'number') byModel.set(modelId, [...(byModel.get(modelId) ?? []), id]);
  }
  for (const [modelId, ids] of byModel) {
    const m = models.find((x) => x.id === modelId);
    const w = m ? checkpointWarning(m, ids) : null;
    if (w) out.push(w);
  }
  for (const r of c.rows) {
    // A reference observer is described beside its model, not as a finding of its own.
    const linked = r.reference && (c.references ?? []).some((l) => l.sessionId === r.sessionId);
    const text = linked ? null : effectSentence(c, r);
    if (text) out.push({ kind: 'effect', sessionIds: [r.sessionId], text });
    const beside = r.kind === 'model' && !r.reference ? referenceSentence(c, r) : null;
    if (beside) out.push({ kind: 'reference', sessionIds: [r.sessionId, ...(c.references ?? []).filter((l) => l.modelSessionId === r.sessionId).map((l) => l.sessionId)], text: beside });
  }
  for (const d of c.differences) {
    const text = differenceSentence(c, d);
    if (text) out.push({ kind: 'difference', sessionIds: [d.humanSessionId, d.modelSessionId], text });
  }
  for (const s of modelSets(c, participants, models, options.sets)) out.push({ kind: 'set', sessionIds: s.instances.map((i) => i.sessionId), text: setSentence(s) });
  return out;
}
