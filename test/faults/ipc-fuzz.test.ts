/**
 * Seeded IPC fuzz (issue 8): every channel of preload/contract.ts gets random and boundary
 * arguments (wrong types, huge strings and arrays, Object's own names as keys and values,
 * NaN/Infinity, negative ids, deep nesting) through the app's own entry, main/bootstrap.ts
 * (sender check, service threads, handlers, real database). Every call must come back as an
 * envelope; every refusal must be one a person can act on (a validation error naming the field,
 * or 'not-found'/'conflict'); a refused call must leave every table as it was; the service
 * threads must still answer at the end.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type AppServices } from '../../main/bootstrap.js';
import { channels, type Envelope } from '../../preload/contract.js';
import { CALIBRATION, FRAME_TIMING, tempDir } from '../support/db.js';
import { CAMPAIGN_SEED } from './kill-plan.js';

const root = path.resolve(import.meta.dirname, '../..');
const APP_PAGE = 'app://predlab/index.html';
const RUNS = Number(process.env.PREDLAB_FUZZ_RUNS ?? 2500);
/** Ids no record has: calls built on them reach the services and are refused as not found. */
const NO_ID = 987_654;

/** A valid argument per channel (ids aside): one field at a time is then damaged. */
const BASE: Record<string, Record<string, unknown>> = {
  'paradigms:list': {},
  'participants:create': { kind: 'human', label: 'fuzz', details: { age: 30 } },
  'participants:list': {},
  'sessions:start': { participantId: NO_ID, paradigmId: 'flash-lag', parameters: { offsetsDeg: [-1, 0, 1], trialsPerOffset: 1 }, seed: 3, calibration: { ...CALIBRATION } },
  'sessions:next': { sessionId: NO_ID },
  'sessions:record': { sessionId: NO_ID, trialIndex: 0, response: 'left', rtMs: 300, frameTiming: { ...FRAME_TIMING } },
  'sessions:finish': { sessionId: NO_ID, status: 'aborted' },
  'sessions:list': { status: 'complete' },
  'sessions:get': { sessionId: NO_ID },
  'analysis:session': { sessionId: NO_ID, bootstrap: 0 },
  'export:session': { sessionId: NO_ID, format: 'csv' },
  'display:fullscreen': { on: false },
  'display:experimenter-window': {},
  'models:list': {},
  'models:run-session': { modelId: NO_ID, protocolId: NO_ID, observer: { fovDeg: 20 } },
  'models:inspect-trial': { sessionId: NO_ID, trialIndex: 0 },
  'models:jobs': {},
  'compare:sessions': { sessionIds: [NO_ID], bootstrap: 0 },
  'engine:info': {},
  'work:status': {},
  'work:cancel': {},
  // The app's mirror (set outside the page) is one nobody listens on: a download starts and fails at once, never the real release.
  'models:download': { release: 'kitti' },
  'models:download-status': {},
  'models:download-cancel': {},
  'datasets:list': {},
  'datasets:show': { name: 'nope' },
  'datasets:create': { name: 'fuzz', height: 16, width: 16, fps: 10 },
  'datasets:delete': { name: 'nope' },
  'datasets:import': { dataset: 'nope', kind: 'video' },
  'datasets:export': { name: 'nope', format: 'hdf5' },
  'datasets:jobs': {},
  'datasets:cancel-job': { jobId: NO_ID },
  'datasets:export-jobs': {},
  'datasets:cancel-export': { jobId: NO_ID },
  'datasets:capture-begin': { dataset: 'nope', source: 'fuzz' },
  'datasets:capture-append': { recordingId: NO_ID, frames: new Uint8Array(12) },
  'datasets:capture-finish': { recordingId: NO_ID },
  'datasets:capture-abandon': { recordingId: NO_ID },
  'training:setup': {},
  'training:runs': {},
  'training:start': { dataset: 'nope', start: { kind: 'new', preset: 'small', seed: 1 }, options: { nt: 4 } },
  'training:status': { runId: NO_ID },
  'training:preview': { runId: NO_ID },
  'training:pause': { runId: NO_ID },
  'training:resume': { runId: NO_ID },
  'training:cancel': { runId: NO_ID },
  'replicate:experiments': {},
  'replicate:start': { modelIds: [NO_ID], experiments: ['on-off'], quick: true, seed: 1 },
  'replicate:jobs': {},
  'replicate:cancel': { jobId: NO_ID },
  'replicate:report': { jobId: NO_ID },
  'replicate:save': { jobId: NO_ID },
  'studies:list': {},
  'studies:get': { studyId: NO_ID },
  'studies:create': { name: 'fuzz study', description: 'fuzz' },
  'studies:update': { studyId: NO_ID, name: 'renamed' },
  'studies:delete': { studyId: NO_ID },
  'studies:add-session': { studyId: NO_ID, sessionId: 1 },
  'studies:add-sessions': { studyId: NO_ID, sessionIds: [1, 2] },
  'studies:remove-session': { studyId: NO_ID, sessionId: 1 },
  'studies:choose-folder': { studyId: NO_ID },
  'studies:export': { studyId: NO_ID, choose: false },
  'studies:export-online': { studyId: NO_ID, jatos: false, blindspotReps: 1, completionUrl: 'https://example.org/done' },
  'studies:import-online': { studyId: NO_ID },
  'monitors:list': {},
  'monitors:create': { name: 'fuzz display', calibration: { ...CALIBRATION }, gamma: { method: 'entered', value: 2.2 } },
  'monitors:update': { profileId: NO_ID, name: 'renamed' },
  'monitors:choose': { profileId: NO_ID },
  'monitors:delete': { profileId: NO_ID },
};

/** Fields never damaged, with why (none now: the page cannot name a download's address). */
const KEEP: Record<string, readonly string[]> = {};

const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'];

/** An object whose own keys are exactly `entries` (JSON.parse makes '__proto__' an own key, not the prototype). */
function own(entries: [string, unknown][]): Record<string, unknown> {
  const o = JSON.parse(`{${entries.map(([k]) => JSON.stringify(k) + ':0').join(',')}}`) as Record<string, unknown>;
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

function nested(depth: number, array: boolean): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = array ? [v] : { a: v };
  return v;
}

const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, -0, 0, -1, -(2 ** 31) - 1, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, 1.5, null, undefined, true, false, '', ' ', '1', '-1', 'NaN', '\u0000', '\u202e', '=HYPERLINK("x")', '../../etc/passwd'),
  fc.constantFrom(...PROTO_NAMES),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.array(fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 })), { maxLength: 8 }),
  fc.constantFrom<unknown>('x'.repeat(100_000), 'é'.repeat(300_000), Array(50_000).fill(0), Array(200_000).fill(1.5), Array(1000).fill('x'.repeat(1000))),
  fc.constantFrom<unknown>(nested(100, false), nested(100, true), nested(3000, false), nested(3000, true)),
  fc.subarray(PROTO_NAMES, { minLength: 1 }).map((keys) => own(keys.map((k) => [k, 1]))),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null)), { maxKeys: 4 }),
  fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: false, withMap: false, withSet: false, withTypedArray: true, withDate: true }),
);

/** One call: the channel, the arguments, and the field a refusal must name ('' for a channel or whole-argument problem; 'a|b': a.b, or a as a whole). */
interface Call {
  channel: string;
  args: unknown;
  field: string;
  what: string;
}

const fieldsOf = (v: unknown): string[] => (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) ? Object.keys(v) : []);

function clone(v: unknown): unknown {
  return structuredClone(v);
}

/** Damage `base` at one path: replace, delete, or add a key (Object's own names among them). */
const mutation = (channel: string): fc.Arbitrary<Call> => {
  const base = BASE[channel]!;
  const paths: string[][] = [];
  for (const k of fieldsOf(base)) {
    if (KEEP[channel]?.includes(k)) continue;
    paths.push([k]);
    for (const k2 of fieldsOf(base[k])) paths.push([k, k2]);
  }
  const replace = fc.tuple(fc.constantFrom(...(paths.length ? paths : [['-']])), hostile, fc.boolean()).map(([p, v, del]): Call => {
    const args = clone(base) as Record<string, unknown>;
    const parent = (p.length === 2 ? args[p[0]!] : args) as Record<string, unknown>;
    if (del) delete parent[p.at(-1)!];
    else parent[p.at(-1)!] = v;
    return { channel, args, field: p.join('|'), what: `${del ? 'delete' : 'set'} ${p.join('.')}` };
  });
  const extra = fc.tuple(fc.oneof(fc.constantFrom(...PROTO_NAMES), fc.string({ minLength: 1, maxLength: 12 })), hostile).map(([k, v]): Call => {
    const args = clone(base) as Record<string, unknown>;
    Object.defineProperty(args, k, { value: v, enumerable: true, writable: true, configurable: true });
    return { channel, args, field: k, what: `extra key ${JSON.stringify(k)}` };
  });
  const whole = hostile.map((v): Call => ({ channel, args: v, field: '', what: 'whole argument' }));
  // Channels without arguments ({}) get extra keys and whole-argument damage only.
  return paths.length ? fc.oneof({ arbitrary: replace, weight: 5 }, { arbitrary: extra, weight: 2 }, { arbitrary: whole, weight: 1 }) : fc.oneof({ arbitrary: extra, weight: 2 }, { arbitrary: whole, weight: 1 });
};

const unknownChannel: fc.Arbitrary<Call> = fc
  .tuple(fc.oneof(fc.constantFrom<unknown>(...PROTO_NAMES, 'fs:readFile', 'sessions:', 'SESSIONS:GET', 'sessions:get ', null, 7, {}), fc.string({ maxLength: 20 })), hostile)
  .filter(([c]) => !(channels as unknown[]).includes(c))
  .map(([channel, args]) => ({ channel: channel as string, args, field: '', what: 'unknown channel' }));

const callArb: fc.Arbitrary<Call> = fc.oneof({ arbitrary: fc.constantFrom(...channels).chain(mutation), weight: 12 }, { arbitrary: unknownChannel, weight: 1 });

/** A digest of every table's rows: equal digests, unchanged database. */
function digest(db: Database.Database): string {
  const h = createHash('sha256');
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
  for (const { name } of tables) {
    h.update(`\n${name}\n`);
    for (const row of db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).raw().iterate()) h.update(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  }
  return h.digest('hex');
}

const ACTIONABLE = new Set(['invalid-argument', 'not-found', 'conflict']);

describe(`IPC fuzz of every channel through the app's bootstrap (seed ${CAMPAIGN_SEED}, ${RUNS} calls; PREDLAB_FAULT_SEED / PREDLAB_FUZZ_RUNS to change)`, () => {
  let app: AppServices;
  let reader: Database.Database;
  const logs: string[] = [];

  beforeAll(async () => {
    const dataDir = tempDir('predlab-fuzz-');
    const exportDir = tempDir('predlab-fuzz-export-');
    // As the app's entry does: a window for the experimenter's view (here, nothing to draw).
    app = bootstrap({ dataDir, appRoot: root, chooseExportDir: async () => exportDir, openExperimenterWindow: async () => ({ secondScreen: false, message: 'opened' }), modelMirror: () => 'http://127.0.0.1:9/model_data_keras2.zip', log: (m) => logs.push(m) });
    await app.ready;
    // A lab with records to hit: participant 1, a finished session 1 on protocol 1, the default model.
    const call = async (c: string, a: unknown) => {
      const r = await app.handleFromPage(APP_PAGE, c, a);
      if (!r.ok) throw new Error(`${c}: ${r.error.message}`);
      return r.value as { id: number; index: number } | null;
    };
    await call('participants:create', { kind: 'human', label: 'P1' });
    const s = (await call('sessions:start', { participantId: 1, paradigmId: 'flash-lag', parameters: { offsetsDeg: [-1, 0, 1], trialsPerOffset: 1 }, seed: 2, calibration: CALIBRATION }))!;
    for (let t = await call('sessions:next', { sessionId: s.id }); t; t = await call('sessions:next', { sessionId: s.id }))
      await call('sessions:record', { sessionId: s.id, trialIndex: t.index, response: 'left', rtMs: 300, frameTiming: FRAME_TIMING });
    await call('sessions:finish', { sessionId: s.id, status: 'complete' });
    reader = new Database(app.dbFile, { readonly: true });
  }, 120_000);

  afterAll(async () => {
    reader?.close();
    await app?.close();
  });

  it('0 crashes, 0 non-validation errors, 0 database changes from refused calls; the threads still answer', async () => {
    // Every channel is fuzzed: the sample is checked to cover them all.
    const calls = fc.sample(callArb, { seed: CAMPAIGN_SEED, numRuns: RUNS });
    expect(new Set(calls.map((c) => c.channel)).size).toBeGreaterThanOrEqual(channels.length);
    const failures: string[] = [];
    const counts = { accepted: 0, refused: 0 } as Record<string, number>;
    let before = digest(reader);
    for (const [i, c] of calls.entries()) {
      if (process.env.PREDLAB_FUZZ_TRACE) process.stderr.write(`${i} ${String(c.channel)} ${c.what}\n`);
      const label = `#${i} ${String(c.channel)} (${c.what})`;
      let r: Envelope<unknown>;
      try {
        r = await Promise.race([
          app.handleFromPage(APP_PAGE, c.channel, c.args),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 60 s')), 60_000)),
        ]);
      } catch (e) {
        failures.push(`${label}: the call threw or hung: ${(e as Error).message}`);
        continue;
      }
      const after = digest(reader);
      if (r.ok) {
        counts.accepted!++;
        before = after;
        continue;
      }
      counts.refused!++;
      counts[r.error.code] = (counts[r.error.code] ?? 0) + 1;
      if (after !== before) failures.push(`${label}: refused (${r.error.code}: ${r.error.message.slice(0, 200)}) but the database changed`);
      if (!ACTIONABLE.has(r.error.code)) failures.push(`${label}: ${r.error.code}: ${r.error.message.slice(0, 300)}`);
      else if (r.error.code === 'invalid-argument' && c.field && !c.field.split('|').some((f) => r.error.message.includes(f) || r.error.message.includes(JSON.stringify(f))) && !/^Unknown paradigm /.test(r.error.message))
        failures.push(`${label}: the message does not name '${c.field}': ${r.error.message.slice(0, 300)}`);
      before = after;
    }
    // A page that is not the app's is refused before anything runs.
    for (const url of [undefined, '', 'https://evil.example/', 'app://evil/index.html', 'file:///etc/passwd', 'javascript:alert(1)', 'app://predlab.evil/x']) {
      const r = await app.handleFromPage(url, 'participants:create', { kind: 'human', label: 'intruder' });
      if (r.ok) failures.push(`sender ${url}: accepted`);
    }
    if (digest(reader) !== before) failures.push('a refused sender changed the database');
    // Still alive: both threads answer.
    expect(await app.handleFromPage(APP_PAGE, 'paradigms:list', {})).toMatchObject({ ok: true });
    expect(await app.handleFromPage(APP_PAGE, 'analysis:session', { sessionId: 1, bootstrap: 0 })).toMatchObject({ ok: true });
    console.log(`IPC fuzz seed ${CAMPAIGN_SEED}: ${calls.length} calls, ${JSON.stringify(counts)}; ${failures.length} failures`);
    expect(logs.filter((m) => /internal error/.test(m))).toEqual([]);
    expect(failures).toEqual([]);
  });
});
