/** The official BIDS validator (npm bids-validator, a pinned dev dependency) over an exported dataset: its errors and warnings, by key. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export interface BidsIssue {
  key: string;
  reason: string;
  files: string[];
}

export function validateBids(dir: string): { errors: BidsIssue[]; warnings: BidsIssue[] } {
  const bin = path.resolve(import.meta.dirname, '../../node_modules/bids-validator/bin/bids-validator');
  const r = spawnSync(process.execPath, [bin, dir, '--json'], { encoding: 'utf8', timeout: 120_000 });
  const start = r.stdout.indexOf('{');
  if (start < 0) throw new Error(`bids-validator printed no report (exit ${r.status}): ${r.stderr.slice(0, 2000)}`);
  const report = JSON.parse(r.stdout.slice(start)) as { issues: Record<'errors' | 'warnings', { key: string; reason: string; files?: { file?: { relativePath?: string } }[] }[]> };
  const issues = (list: (typeof report.issues)['errors']) => list.map((i) => ({ key: i.key, reason: i.reason, files: (i.files ?? []).map((f) => f.file?.relativePath ?? '').filter(Boolean) }));
  return { errors: issues(report.issues.errors), warnings: issues(report.issues.warnings) };
}
