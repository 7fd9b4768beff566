/** Human-readable output of the CLI. */
import { fmt } from '../../paradigms/format.js';
import type { SessionAnalysis, SessionInfo } from '../../preload/contract.js';

const f = fmt;

export function formatSessions(sessions: SessionInfo[]): string {
  if (sessions.length === 0) return 'No sessions.';
  const lines = ['  id  status    paradigm    participant                         trials   started'];
  for (const s of sessions)
    lines.push(
      `${String(s.id).padStart(4)}  ${s.status.padEnd(9)} ${s.protocol.paradigmId.padEnd(11)} ${`${s.participant.kind}: ${s.participant.label}`.slice(0, 35).padEnd(35)} ${`${s.answered}/${s.total}`.padStart(7)}   ${s.startedAt}`,
    );
  const incomplete = sessions.filter((s) => s.status === 'running').length;
  if (incomplete) lines.push(`\n${incomplete} session(s) still 'running': resume them in the app, or close them with 'predlab session close --session <id>'.`);
  return lines.join('\n');
}

export function formatAnalysis(a: SessionAnalysis): string {
  const lines = [`Session ${a.sessionId}: flash-lag (${a.variant}), bar speed ${a.speedDegPerS} deg/s, ${a.trials} trials`, '', '  offset (deg)   n   P(flash ahead)   95% CI'];
  for (const l of a.levels) lines.push(`  ${f(l.offsetDeg, 2).padStart(12)} ${String(l.n).padStart(3)}   ${f(l.pAhead, 2).padStart(14)}   [${f(l.ci[0], 2)}, ${f(l.ci[1], 2)}]`);
  lines.push('');
  if (a.fit) {
    const fit = a.fit;
    const pct = Math.round(fit.ciLevel * 100);
    lines.push(`Flash-lag (PSE): ${f(a.pseDeg)} deg  [${f(fit.ci.pse[0])}, ${f(fit.ci.pse[1])}] (${pct}% CI)`);
    lines.push(`                 ${f(a.pseMs, 1)} ms   [${f(a.pseMsCi?.[0], 1)}, ${f(a.pseMsCi?.[1], 1)}]`);
    lines.push(`Slope at PSE:    ${f(fit.slope)} /deg  [${f(fit.ci.slope[0])}, ${f(fit.ci.slope[1])}]   sigma ${f(fit.sigma)} deg`);
    lines.push(`Guess ${f(fit.guess)}, lapse ${f(fit.lapse)}; deviance ${f(fit.deviance, 2)} (bootstrap p = ${f(fit.devianceP, 3)}, ${fit.bootstrapSamples} samples)`);
  }
  for (const m of a.messages) lines.push(`Note: ${m}`);
  return lines.join('\n');
}
