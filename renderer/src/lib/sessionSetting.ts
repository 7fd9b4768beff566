/** Where a session was taken: in the lab, or online in a participant's own browser (an online study's imported data). */
import type { SessionInfo } from '../../../preload/contract.js';

export type SessionSetting = 'lab' | 'online';

export const settingOf = (s: Pick<SessionInfo, 'source'>): SessionSetting => (s.source === 'online' ? 'online' : 'lab');

/** ' · online' after an online session's label; nothing for the lab's. */
export const onlineNote = (s: Pick<SessionInfo, 'source'>): string => (settingOf(s) === 'online' ? ' · online' : '');
