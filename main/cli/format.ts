/** Human-readable output of the CLI (any paradigm: it prints the generic analysis shape). */
import { EXCLUDED_STATISTIC } from '../../paradigms/analysis-shared.js';
import { curveUndetermined } from '../../paradigms/psychometric.js';
import { familyParameters } from '../../paradigms/psychometric-function.js';
import { dateTime, digitsForUnit, fmt } from '../../paradigms/format.js';
import { PredlabError } from '../errors.js';
import type { SessionAnalysis, SessionInfo } from '../../paradigms/records.js';
import { headlineStatistic } from '../../paradigms/references.js';
import type { Statistic } from '../../paradigms/types.js';

const f = fmt;

export function formatSessions(sessions: SessionInfo[]): string {
  if (sessions.length === 0) return 'No sessions.';
  const lines = ['  id  status    paradigm    participant                         trials   started'];
  for (const s of sessions)
    lines.push(
      `${String(s.id).padStart(4)}  ${s.status.padEnd(9)} ${s.protocol.paradigmId.padEnd(11)} ${`${s.participant.kind}: ${s.participant.label}`.slice(0, 35).padEnd(35)} ${`${s.answered}/${s.total}`.padStart(7)}   ${dateTime(s.startedAt)}`,
    );
  const incomplete = sessions.filter((s) => s.status === 'running').length;
  if (incomplete) lines.push(`\n${incomplete} session(s) still 'running': resume them in the app, or close them with 'predlab session close --session <id>'.`);
  return lines.join('\n');
}

/** '64x80' -> { height: 64, width: 80 } (--size options). */
export function parseSize(v: string): { height: number; width: number } {
  const m = /^(\d{1,4})x(\d{1,4})$/.exec(v.trim());
  if (!m) throw new PredlabError('invalid-argument', `--size takes HEIGHTxWIDTH in pixels, e.g. 64x80; got '${v}'.`);
  return { height: Number(m[1]), width: Number(m[2]) };
}

/** Digits by unit: counts whole, milliseconds to 0.1, everything else to 0.001. */
export const digitsFor = digitsForUnit;

/** "label: value unit [lo, hi]" */
export function formatStatistic(s: Statistic): string {
  const d = digitsFor(s.unit);
  const unit = s.unit ? ` ${s.unit}` : '';
  const ci = s.ci ? `[${f(s.ci[0], d)}, ${f(s.ci[1], d)}]` : '';
  // A number the data do not determine is no measurement: say so, and why, instead of the number.
  if (s.undetermined) return `${s.label}: not determined (${s.undetermined.replace(/^Not determined by the data: /, '').replace(/\.$/, '')})`;
  return `${s.label}: ${f(s.value, d)}${unit}${ci ? `  ${ci} (95% CI)` : ''}`;
}

/**
 * A condition's statistics, one line each; the same quantity in two units that the data both
 * leave undetermined for one reason (a PSE in deg and in ms) is one line naming both units.
 */
export function formatStatistics(stats: readonly Statistic[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < stats.length; i++) {
    const s = stats[i]!;
    const same = s.undetermined ? stats.slice(i + 1).filter((t) => t.label === s.label && t.undetermined === s.undetermined) : [];
    if (!same.length) {
      if (!stats.slice(0, i).some((t) => t.undetermined && t.label === s.label && t.undetermined === s.undetermined)) lines.push(formatStatistic(s));
      continue;
    }
    lines.push(formatStatistic({ ...s, label: `${s.label} (${[s, ...same].map((t) => t.unit).join(', ')})` }));
  }
  return lines;
}

/** The fitted function of a comparison's sessions: one line when they share it, else one per session. */
export function psychometricFunctionLines(analyses: readonly Pick<SessionAnalysis, 'sessionId' | 'psychometricFunction'>[]): string[] {
  const distinct = [...new Set(analyses.map((a) => a.psychometricFunction))];
  if (distinct.length <= 1) return distinct.map((d) => `Psychometric function: ${d}`);
  return ['Psychometric function:', ...analyses.map((a) => `  session ${a.sessionId}: ${a.psychometricFunction}`)];
}

/** The command line's way to keep the trials the analysis left out for dropped frames (the pages have their setting beside the notes). */
export const INCLUDE_DROPPED_HINT = 'To keep them in the fit, add --include-dropped.';

/** Trials a result left out for a dropped frame near the critical event. */
export const droppedLeftOut = (statistics: readonly Statistic[]) => statistics.find((s) => s.key === EXCLUDED_STATISTIC)?.value ?? 0;

/** `hint`: say how to keep dropped-frame trials (not for an export, whose in_fit column decided). */
export function formatAnalysis(a: SessionAnalysis, options: { hint?: boolean } = {}): string {
  const lines = [`Session ${a.sessionId}: ${a.title}, ${a.trials} trials`, `Psychometric function: ${a.psychometricFunction}`];
  const x = `${a.xLabel} (${a.xUnit})`;
  for (const c of a.conditions) {
    lines.push('', a.conditions.length > 1 ? `Condition: ${c.label}` : '', `  ${x.padStart(Math.max(14, x.length))}     n   ${a.yLabel}   95% CI`);
    for (const l of c.levels) lines.push(`  ${f(l.x, 2).padStart(Math.max(14, x.length))}   ${String(l.n).padStart(3)}   ${f(l.p, 2).padStart(a.yLabel.length)}   [${f(l.ci[0], 2)}, ${f(l.ci[1], 2)}]`);
    lines.push('');
    for (const line of formatStatistics(c.statistics)) lines.push(`  ${line}`);
    if (c.fit) {
      const none = curveUndetermined(c.fit);
      const spread = familyParameters(c.fit);
      const fixed = c.fit.rates === 'free' ? '' : ' (fixed)';
      lines.push(
        none
          ? `  Fitted curve (${spread.map((p) => p.name).join(', ')}, ${c.fit.rates === 'free' ? 'guess, lapse, ' : ''}deviance): not determined (${none})${c.fit.rates === 'free' ? '' : `; guess and lapse fixed at ${c.fit.rates}`}`
          : `  ${spread.map((p) => `${p.name} ${c.fit!.undetermined.includes('sigma') ? 'not determined' : `${f(p.value)}${p.inStimulusUnits ? ` ${a.xUnit}` : ''}`}`).join(', ')}, guess ${f(c.fit.guess)}${fixed}, lapse ${f(c.fit.lapse)}${fixed}; deviance ${f(c.fit.deviance, 2)} (bootstrap p = ${f(c.fit.devianceP, 3)}, ${c.fit.bootstrapSamples} samples)`,
      );
    }
  }
  if (a.statistics.length) lines.push('', ...a.statistics.map((s) => formatStatistic(s)));
  if (a.references?.length) {
    lines.push('', 'Beside the references on the same trials (copy-last: no motion learned; oracle: the true next frame, what the display itself gives; untrained: the same network before any learning):');
    for (const c of a.conditions) {
      const h = headlineStatistic(c.statistics);
      if (!h) continue;
      lines.push(`  ${a.conditions.length > 1 ? `${c.label}: ` : ''}model (#${a.sessionId}) ${formatStatistic(h)}`);
      for (const r of a.references) {
        const rs = r.conditions.find((k) => k.key === c.key)?.statistics.find((s) => s.key === h.key);
        lines.push(`  ${a.conditions.length > 1 ? `${c.label}: ` : ''}${r.kind} (#${r.sessionId}) ${rs ? formatStatistic(rs) : `${h.label}: none measured`}`);
      }
      const frac = a.ofOracle?.find((o) => o.condition === c.key && o.statistic === h.key);
      if (frac) lines.push(`  model / oracle: ${frac.value !== null ? `${Math.round(frac.value * 100)} %` : `not defined (${frac.why})`}`);
    }
    for (const st of a.statistics.filter((x) => x.comparable)) {
      lines.push(`  model (#${a.sessionId}) ${formatStatistic(st)}`);
      for (const r of a.references) {
        const rs = r.statistics.find((x) => x.key === st.key);
        lines.push(`  ${r.kind} (#${r.sessionId}) ${rs ? formatStatistic(rs) : `${st.label}: none measured`}`);
      }
    }
  }
  if (a.modelNote) lines.push('', a.modelNote);
  for (const m of a.messages) lines.push(`Note: ${m}`);
  if ((options.hint ?? true) && droppedLeftOut(a.statistics) > 0) lines.push(`Note: ${INCLUDE_DROPPED_HINT}`);
  return lines.filter((l, i, all) => !(l === '' && all[i - 1] === '')).join('\n');
}

/** Printed after a usage error (exit 2), inherited by every subcommand. */
export const USAGE_HINT = '(add --help to the command to see its options)';
