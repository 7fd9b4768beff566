/** The session-information fields as the HTML of jsPsych's survey-html-form (answers are checked again at import). */
import type { SessionInfoField } from '../../../paradigms/run-settings.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function sessionInfoHtml(fields: readonly SessionInfoField[]): string {
  return fields
    .map((f) => {
      const id = `info-${f.key}`;
      const req = f.required ? ' required' : '';
      let input: string;
      if (f.type === 'choice')
        input = `<select id="${id}" name="${f.key}"${req}><option value=""></option>${f.choices!.map((c) => `<option value="${escape(c)}">${escape(c)}</option>`).join('')}</select>`;
      else if (f.type === 'text') input = `<input id="${id}" name="${f.key}" type="text" maxlength="${f.maxLength ?? 1000}"${req}>`;
      else input = `<input id="${id}" name="${f.key}" type="number" step="${f.type === 'integer' ? 1 : 'any'}"${f.min !== undefined ? ` min="${f.min}"` : ''}${f.max !== undefined ? ` max="${f.max}"` : ''}${req}>`;
      return `<p><label for="${id}">${escape(f.label)}${f.required ? ' *' : ''}</label><br>${input}</p>`;
    })
    .join('');
}
