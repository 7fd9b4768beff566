/**
 * The Run page's parameter form: the paradigm's curated `form` first, then every other key of
 * its parameter schema as an "advanced" field read from the schema itself (type, range, the
 * `.describe()` text), so no stimulus parameter is left uneditable.
 */
import type { Paradigm, ParamField } from './types.js';

/** The subset of zod's runtime shape read here (zod 4). */
interface ZodLike {
  description?: string;
  def: { type: string; innerType?: ZodLike; element?: ZodLike };
  shape?: Record<string, ZodLike>;
  isInt?: boolean;
  minValue?: number | null;
  maxValue?: number | null;
  options?: unknown[];
}

function unwrap(t: ZodLike): ZodLike {
  while ((t.def.type === 'default' || t.def.type === 'optional') && t.def.innerType) t = t.def.innerType;
  return t;
}

/** Units read from a key's suffix (the paradigms' naming convention: sideDeg, speedDegPerS, flashFrames). */
const UNIT_SUFFIXES: [RegExp, string][] = [
  [/DegPerS$/, 'deg/s'],
  [/Deg$/, 'deg'],
  [/Frames$/, 'frames'],
  [/Ms$/, 'ms'],
  [/Hz$/, 'Hz'],
];

/** 'flashJitterDeg' -> 'Flash jitter'. */
export function labelOf(key: string): string {
  let base = key;
  for (const [re] of UNIT_SUFFIXES) base = base.replace(re, '');
  const words = base.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function unitOf(key: string): string | undefined {
  return UNIT_SUFFIXES.find(([re]) => re.test(key))?.[1];
}

const finiteOrUndefined = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One schema key as a form field, or null for a type the form cannot edit. */
function fieldOf(key: string, schema: ZodLike): ParamField | null {
  const t = unwrap(schema);
  const base = { key, label: labelOf(key), advanced: true, ...(schema.description ? { help: schema.description } : {}) };
  const unit = unitOf(key);
  if (t.def.type === 'number') {
    const min = finiteOrUndefined(t.minValue);
    const max = finiteOrUndefined(t.maxValue);
    return { ...base, type: t.isInt ? 'integer' : 'number', ...(unit ? { unit } : {}), ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...(t.isInt ? {} : { step: max !== undefined && max <= 1 ? 0.05 : 0.1 }) };
  }
  if (t.def.type === 'enum' && t.options) return { ...base, type: 'choice', choices: t.options.map((o) => ({ value: String(o), label: String(o) })) };
  if (t.def.type === 'array' && t.def.element) {
    const el = unwrap(t.def.element);
    if (el.def.type === 'number') return { ...base, type: 'numbers', ...(unit ? { unit } : {}) };
    if (el.def.type === 'enum' && el.options) return { ...base, type: 'multi', choices: el.options.map((o) => ({ value: String(o), label: String(o) })) };
  }
  return null;
}

/**
 * Every editable parameter: the curated form, then the schema's other keys. A key named after
 * one of the design's choices (staircaseStepDeg for design 'staircase') shows only with it.
 */
export function completeForm(paradigm: Pick<Paradigm, 'form' | 'parameterSchema' | 'entryAliases'>): ParamField[] {
  const shape = (paradigm.parameterSchema as unknown as ZodLike).shape;
  if (!shape) return paradigm.form;
  const known = new Set([...paradigm.form.map((f) => f.key), ...(paradigm.entryAliases ?? [])]);
  const choiceFields = paradigm.form.filter((f) => f.type === 'choice' && f.choices);
  const extra: ParamField[] = [];
  for (const [key, schema] of Object.entries(shape)) {
    if (known.has(key)) continue;
    const field = fieldOf(key, schema);
    if (!field) continue;
    for (const c of choiceFields) {
      const match = c.choices!.find((o) => key.startsWith(o.value) && key.length > o.value.length);
      if (match) {
        // A design's own setting belongs beside the design, not among the advanced ones.
        field.showWhen = { key: c.key, values: [match.value] };
        delete field.advanced;
      }
    }
    extra.push(field);
  }
  return [...paradigm.form, ...extra];
}
