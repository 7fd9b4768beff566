/**
 * The layers of DESIGN.md, checked over the sources: every relative import (static, type-only,
 * re-export or dynamic; in .ts files and in Svelte components' scripts) may point only to the layers
 * its own layer may import, and no files import each other round a circle. Imports are read with
 * TypeScript's own pre-processor, not a pattern. Every source folder says in its README.md (or
 * index.ts) what it may import, in words this table checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** What each layer may import (DESIGN.md, "may import"); its own files always. */
const MAY_IMPORT: Record<string, string[]> = {
  paradigms: [],
  'native-models': ['paradigms'],
  preload: ['paradigms'],
  renderer: ['paradigms', 'preload'],
  main: ['paradigms', 'native-models', 'preload'],
};

function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'dist' && !e.name.startsWith('.')) walk(p);
      } else if (/\.(ts|mts|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(path.relative(ROOT, p));
    }
  };
  for (const layer of Object.keys(MAY_IMPORT)) walk(path.join(ROOT, layer));
  return out;
}

/** The relative imports of one file, resolved to source files (unresolved ones are left to tsc). */
function importsOf(file: string, known: Set<string>): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const code = file.endsWith('.svelte') ? [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n') : text;
  const specs = ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.'));
  return specs.flatMap((spec) => {
    const base = path.normalize(path.join(path.dirname(file), spec));
    const hit = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts'), base.replace(/\.js$/, '.svelte')].find((c) => known.has(c));
    return hit ? [hit] : [];
  });
}

describe('layers (DESIGN.md)', () => {
  const files = sources();
  const known = new Set(files);
  const graph = new Map(files.map((f) => [f, importsOf(f, known)]));
  const layerOf = (f: string) => f.split(path.sep)[0]!;

  it('reads the whole tree', () => {
    expect(files.length).toBeGreaterThan(150);
    // The check sees Svelte components' imports too.
    expect([...graph.entries()].some(([f, deps]) => f.endsWith('.svelte') && deps.some((d) => d.startsWith(`preload${path.sep}`)))).toBe(true);
  });

  it('no import points up the layers', () => {
    const up = [...graph.entries()].flatMap(([f, deps]) => deps.filter((d) => layerOf(d) !== layerOf(f) && !MAY_IMPORT[layerOf(f)]!.includes(layerOf(d))).map((d) => `${f} -> ${d}`));
    expect(up).toEqual([]);
  });

  it('no files import each other round a circle', () => {
    // Depth-first search; a file met again while still on the path closes a cycle.
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]) => {
      state.set(f, 'open');
      for (const d of graph.get(f)!) {
        if (state.get(d) === 'open') cycles.push([...trail.slice(trail.indexOf(d)), d].join(' -> '));
        else if (!state.has(d)) visit(d, [...trail, d]);
      }
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f, [f]);
    expect(cycles).toEqual([]);
  });

  it("every source folder's README.md or index.ts has a \"May import:\" line naming what MAY_IMPORT allows", () => {
    const folders = [...new Set(files.map((f) => path.dirname(f)))];
    const layerName = new RegExp(`(?<![\\w-])(${Object.keys(MAY_IMPORT).join('|')})(?![\\w-])`, 'g');
    const wrong = folders.flatMap((dir) => {
      const layer = layerOf(dir);
      const allowed = MAY_IMPORT[layer]!;
      const lines = ['README.md', 'index.ts']
        .map((name) => path.join(ROOT, dir, name))
        .filter((p) => fs.existsSync(p))
        .flatMap((p) => fs.readFileSync(p, 'utf8').split('\n').filter((l) => l.includes('May import:')));
      if (lines.length === 0) return [`${dir}: no "May import:" line in a README.md or index.ts`];
      return lines.flatMap((line) => {
        // The layer's own name may appear ("main's own modules"); every other name must be allowed, and all of them named.
        const named = new Set([...line.matchAll(layerName)].map((m) => m[1]!).filter((n) => n !== layer));
        const exact = named.size === allowed.length && allowed.every((l) => named.has(l)) && (allowed.length > 0 || line.includes('nothing'));
        return exact ? [] : [`${dir}: "${line.trim()}" (MAY_IMPORT: ${allowed.join(', ') || 'nothing'})`];
      });
    });
    expect(folders.length).toBeGreaterThan(20);
    expect(wrong).toEqual([]);
  });
});
