import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { finishSession, listSessions, nextTrial, recordTrial, trialRows } from '../../main/services/sessions.js';
import { openDatabase } from '../../main/store/db.js';
import { FRAME_TIMING, tempDir } from '../support/db.js';

describe('a crash mid-session', () => {
  it('keeps every answered trial; the session reopens as incomplete and can be resumed and closed', async () => {
    const file = path.join(tempDir(), 'lab.sqlite');
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/support/crash-child.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const committed: number[] = [];
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const m of buf.matchAll(/committed (\d+)\n/g)) if (!committed.includes(Number(m[1]))) committed.push(Number(m[1]));
        if (committed.length >= 5) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child ended without being killed (${signal})`))));
    });
    const db = openDatabase(file);
    const [incomplete] = listSessions(db, { status: 'running' });
    expect(incomplete).toBeDefined();
    const rows = trialRows(db, incomplete!.id);
    // Every trial the child reported as committed is there, intact, in order.
    expect(rows.length).toBeGreaterThanOrEqual(committed.length);
    expect(rows.map((r) => r.trial_index)).toEqual([...rows.keys()]);
    for (const r of rows) {
      expect(r.rt_ms).toBe(100 + r.trial_index);
      expect(r.response).toBe(r.trial_index % 3 ? 'left' : 'right');
    }
    expect(incomplete!.answered).toBe(rows.length);
    expect(incomplete!.answered).toBeLessThan(incomplete!.total);

    // Resume: the next trial is the first unanswered one.
    const next = nextTrial(db, incomplete!.id)!;
    expect(next.index).toBe(rows.length);
    recordTrial(db, incomplete!.id, { trialIndex: next.index, response: 'left', rtMs: 1, frameTiming: FRAME_TIMING });
    const closed = finishSession(db, incomplete!.id, 'aborted');
    expect(closed).toMatchObject({ status: 'aborted', answered: rows.length + 1 });
    db.close();
  });
});
