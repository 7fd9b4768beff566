import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSP, isAllowedPermission, isAppUrl } from '../../main/electron/security.js';
import { createHandlers } from '../../main/ipc/handlers.js';
import { createApi, ApiError } from '../../preload/api.js';
import { channels } from '../../preload/contract.js';
import { openDatabase } from '../../main/store/db.js';
import { CALIBRATION, FRAME_TIMING, tempDb, tempDir } from '../support/db.js';

function setup() {
  const { db } = tempDb();
  const exportDir = tempDir();
  const { invoke } = createHandlers({ db, chooseExportDir: async () => exportDir });
  const api = createApi((c, a) => invoke(c, a));
  return { db, invoke, api, exportDir };
}

describe('IPC boundary', () => {
  it('the API has exactly the contract channels, and a whole session runs through it', async () => {
    const { api } = setup();
    // Every contract channel, and `on` for the pushed events.
    expect(Object.keys(api).sort()).toEqual([...channels, 'on'].sort());
    const p = await api['participants:create']({ kind: 'human', label: 'P1' });
    const s = await api['sessions:start']({ participantId: p.id, paradigmId: 'flash-lag', parameters: { offsetsDeg: [-1, 0, 1], trialsPerOffset: 1 }, seed: 2, calibration: CALIBRATION });
    for (let t = await api['sessions:next']({ sessionId: s.id }); t; t = await api['sessions:next']({ sessionId: s.id }))
      await api['sessions:record']({ sessionId: s.id, trialIndex: t.index, response: 'left', rtMs: 300, frameTiming: FRAME_TIMING });
    expect((await api['sessions:finish']({ sessionId: s.id, status: 'complete' })).status).toBe('complete');
    const a = await api['analysis:session']({ sessionId: s.id, bootstrap: 10 });
    expect(a.trials).toBe(3);
    expect((await api['analysis:session']({ sessionId: s.id, bootstrap: 10, fit: { family: 'logistic', rates: 0 } })).psychometricFunction).toBe('logistic; guess and lapse rates fixed at 0');
    const e = await api['export:session']({ sessionId: s.id, format: 'csv' });
    expect(e.rows).toBe(3);
  });

  it('validates every argument and names the problem', async () => {
    const { invoke, db } = setup();
    const bad = async (channel: string, args: unknown) => {
      const r = await invoke(channel, args);
      expect(r.ok).toBe(false);
      return (r as { error: { code: string; message: string } }).error;
    };
    expect((await bad('fs:readFile', {})).message).toMatch(/Unknown request 'fs:readFile'/);
    expect((await bad('sessions:get', { sessionId: '1; DROP TABLE trials' })).message).toMatch(/sessionId/);
    expect((await bad('sessions:get', { sessionId: -1 })).code).toBe('invalid-argument');
    expect((await bad('sessions:get', { sessionId: 1, extra: true })).message).toMatch(/Unrecognized key|extra/);
    expect((await bad('participants:create', { kind: 'model', label: 'x' })).message).toMatch(/kind/);
    expect((await bad('participants:create', { kind: 'human', label: '   ' })).message).toMatch(/label must not be empty/);
    expect((await bad('sessions:start', { participantId: 1, paradigmId: 'flash-lag', parameters: {}, calibration: { ...CALIBRATION, refreshHz: 5 } })).message).toMatch(/calibration.refreshHz/);
    expect((await bad('sessions:record', { sessionId: 1, trialIndex: 0, response: 'left', rtMs: Number.NaN, frameTiming: FRAME_TIMING })).message).toMatch(/rtMs/);
    expect((await bad('sessions:get', { sessionId: 12345 })).code).toBe('not-found');
    expect((await bad('sessions:get', null)).code).toBe('invalid-argument');
    expect((await bad('compare:sessions', { sessionIds: [] })).message).toMatch(/sessionIds/);
    expect((await bad('compare:sessions', { sessionIds: [1, 2.5] })).message).toMatch(/sessionIds/);
    expect((await bad('compare:sessions', { sessionIds: [7] })).code).toBe('not-found');
    // The psychometric function: a family the app fits, rates 'free' or 0 to 0.2.
    expect((await bad('analysis:session', { sessionId: 1, fit: { family: 'probit', rates: 'free' } })).message).toMatch(/fit.family/);
    expect((await bad('compare:sessions', { sessionIds: [1], fit: { family: 'logistic', rates: 0.5 } })).message).toMatch(/fit.rates/);
    expect((await bad('models:run-session', { modelId: 3, protocolId: 1 })).message).toMatch(/No model with id 3/);
    expect((await bad('models:run-session', { modelId: 1, protocolId: 1, observer: { fovDeg: -2 } })).message).toMatch(/fovDeg/);
    expect((await bad('models:run-session', { modelId: 1, protocolId: 1, observer: { checkpoint: '/etc' } })).message).toMatch(/Unrecognized key|checkpoint/);
    expect((await bad('models:inspect-trial', { sessionId: 1, trialIndex: -1 })).message).toMatch(/trialIndex/);
    expect((await bad('sessions:start', { participantId: 1, paradigmId: 'flash-lag', parameters: {}, calibration: CALIBRATION, companionModelId: 9 })).code).toBe('not-found');
    // Sizes are bounded, and the limit is named; Object's own names are no paradigms.
    expect((await bad('participants:create', { kind: 'human', label: 'P', details: { notes: 'x'.repeat(20_000) } })).message).toMatch(/details: must be plain JSON of at most 16384 characters/);
    expect((await bad('sessions:start', { participantId: 1, paradigmId: 'flash-lag', parameters: { offsetsDeg: Array(20_000).fill(0) }, calibration: CALIBRATION })).message).toMatch(/parameters: must be plain JSON of at most/);
    for (const paradigmId of ['toString', '__proto__', 'constructor'])
      expect((await bad('sessions:start', { participantId: 1, paradigmId, parameters: {}, calibration: CALIBRATION })).message).toMatch(new RegExp(`Unknown paradigm '${paradigmId}'`));
    expect((db.prepare('SELECT count(*) AS n FROM participants').get() as { n: number }).n).toBe(0);
    expect((db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n).toBe(0);
  });

  it('errors reach the renderer as ApiError with code and message', async () => {
    const { api } = setup();
    const err = await api['sessions:get']({ sessionId: 99 }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'not-found', message: 'No session with id 99.' });
  });

  it('a database failure reaches the renderer as a storage error that says what to do, not as an internal one', async () => {
    const { db, file } = tempDb();
    db.close();
    const readonly = openDatabase(file, { readonly: true });
    try {
      const { invoke } = createHandlers({ db: readonly, chooseExportDir: async () => null });
      const r = await invoke('participants:create', { kind: 'human', label: 'P1' });
      expect(r).toMatchObject({ ok: false, error: { code: 'storage' } });
      expect(!r.ok && r.error.message).toMatch(/cannot be written: the file or its folder is read-only/);
      expect(!r.ok && r.error.message).not.toMatch(/Something went wrong|\n\s+at /);
      // Reading still works on the same connection.
      expect(await invoke('participants:list', {})).toEqual({ ok: true, value: [] });
    } finally {
      readonly.close();
    }
  });

  it('only our own pages count as the app (navigation and IPC senders)', () => {
    expect(isAppUrl('app://predlab/index.html')).toBe(true);
    for (const u of ['https://predlab/index.html', 'app://evil/index.html', 'file:///etc/passwd', 'javascript:alert(1)', '', null, 'not a url'])
      expect(isAppUrl(u)).toBe(false);
  });

  it('security policy: strict CSP, only the camera may be granted', () => {
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).toContain("object-src 'none'");
    expect(CSP).not.toMatch(/unsafe-eval|\*/);
    expect(CSP.match(/script-src[^;]*/)![0]).not.toContain('unsafe-inline');
    const app = 'app://predlab/index.html';
    expect(isAllowedPermission('media', ['video'], app)).toBe(true);
    expect(isAllowedPermission('media', ['video'], 'https://evil.example/')).toBe(false);
    expect(isAllowedPermission('media', ['audio'], app)).toBe(false);
    expect(isAllowedPermission('media', ['video', 'audio'], app)).toBe(false);
    expect(isAllowedPermission('media', undefined, app)).toBe(false);
    for (const p of ['geolocation', 'notifications', 'clipboard-read', 'midi', 'openExternal', 'fullscreen']) expect(isAllowedPermission(p, ['video'], app)).toBe(false);
  });

  it('the page carries the same CSP as the header, less frame-ancestors (which a meta tag cannot carry)', () => {
    const html = fs.readFileSync(path.resolve(import.meta.dirname, '../../renderer/index.html'), 'utf8');
    const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)];
    expect(metas).toHaveLength(1);
    const header = CSP.split('; ').filter((d) => !d.startsWith('frame-ancestors '));
    expect(header.length).toBe(CSP.split('; ').length - 1);
    expect(metas[0]![1]!.split('; ')).toEqual(header);
  });
});
