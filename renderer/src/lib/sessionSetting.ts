/** Where a session was taken: in the lab, or online in a participant's own browser (an online study's imported data). */
import type { SessionInfo } from '../../../preload/contract.js';

export type SessionSetting = 'lab' | 'online';

export const settingOf = (s: Pick<SessionInfo, 'source'>): SessionSetting => (s.source === 'online' ? 'online' : 'lab');

/** ' · online' after an online session's label; nothing for the lab's. */
export const onlineNote = (s: Pick<SessionInfo, 'source'>): string => (settingOf(s) === 'online' ? ' · online' : '');

interface OnlineDetails {
  browser?: { name?: string | null; version?: string | null; os?: string | null };
  screen?: { width?: number | null; height?: number | null };
  card?: { viewingDistance?: string | null };
  timing?: { refreshHz?: number; verdict?: { pass?: boolean; failures?: string[] } };
}

/** An online session's setting in a sentence (browser, screen, calibration, the frame-timing verdict); null for the lab's. */
export function onlineSummary(s: Pick<SessionInfo, 'source' | 'calibration'>): string | null {
  if (settingOf(s) !== 'online') return null;
  const cal = s.calibration as { pxPerDeg?: number; viewingDistanceCm?: number; refreshHz?: number; online?: OnlineDetails };
  const o = cal.online ?? {};
  const browser = [o.browser?.name, o.browser?.version].filter(Boolean).join(' ') || 'a browser';
  const screen = o.screen?.width && o.screen?.height ? `, a ${o.screen.width}×${o.screen.height} screen` : '';
  const distance = cal.viewingDistanceCm ? `, viewing distance ${Math.round(cal.viewingDistanceCm)} cm (${o.card?.viewingDistance ?? 'unknown'})` : '';
  const verdict = o.timing?.verdict;
  const timing = verdict ? (verdict.pass ? 'its frame timing passes the criterion' : `its frame timing fails the criterion: ${(verdict.failures ?? []).join('; ')}`) : 'no frame-timing verdict';
  return `Taken online in ${browser}${o.browser?.os ? ` on ${o.browser.os}` : ''}${screen}, ${cal.refreshHz?.toFixed(2) ?? '?'} Hz measured${distance}, ${cal.pxPerDeg?.toFixed(1) ?? '?'} px/deg; ${timing}.`;
}
