import { secretChangedPlaceholder, secretPlaceholder, type SecretValues } from './contract';

/**
 * Secrets in documents (see `SecretUse` in the contract): a candidate carries placeholders; `fillSecrets` puts the
 * values in just before upload, `maskSecrets` takes them out of what a device returns, so that neither a plan nor the
 * journal ever holds a value. Pure.
 */

const PLACEHOLDER = /@@ggi-secret:([^@\n]+?)@@/g;

/** The ids whose placeholders occur in `content`, in order of first occurrence. */
export function secretIdsIn(content: string): string[] {
  const out: string[] = [];
  for (const m of content.matchAll(PLACEHOLDER)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

export class MissingSecretError extends Error {}

/** Replaces every placeholder by its value; `quote` formats a value for the document's syntax. */
export function fillSecrets(content: string, secrets: SecretValues, quote: (value: string) => string = (v) => v): string {
  return content.replace(PLACEHOLDER, (_, id: string) => {
    const v = secrets.get(id);
    if (v === undefined) throw new MissingSecretError(`secret '${id}' is not available`);
    return quote(v);
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Takes secret values out of `actual` (a document or a live view as the device has it). A line of `candidate` that
 * holds a placeholder is a template: the matching line of `actual` gets the placeholder back when its value is the
 * resolved one (or when no value was resolved: plan without secrets cannot tell), and `secretChangedPlaceholder`
 * otherwise. Any other occurrence of a resolved value is replaced by its placeholder too.
 */
export function maskSecrets(actual: string, candidate: string | null, secrets: SecretValues, quote: (value: string) => string = (v) => v): string {
  const templates: Array<{ re: RegExp; ids: string[] }> = [];
  for (const line of (candidate ?? '').split('\n')) {
    const ids = secretIdsIn(line);
    if (ids.length === 0) continue;
    const parts = line.split(PLACEHOLDER);
    // split with a capture group alternates text, id, text, id, …
    let src = '^';
    for (let i = 0; i < parts.length; i++) src += i % 2 === 0 ? escapeRe(parts[i]) : '(.*?)';
    templates.push({ re: new RegExp(`${src}$`, 'd'), ids: parts.filter((_, i) => i % 2 === 1) });
  }
  const lines = actual.split('\n').map((line) => {
    for (const t of templates) {
      const m = t.re.exec(line);
      if (!m) continue;
      let out = '';
      let last = 0;
      t.ids.forEach((id, k) => {
        const [start, end] = m.indices![k + 1]!;
        const v = secrets.get(id);
        out += line.slice(last, start) + (v === undefined || quote(v) === m[k + 1] ? secretPlaceholder(id) : secretChangedPlaceholder(id));
        last = end;
      });
      return out + line.slice(last);
    }
    return line;
  });
  let text = lines.join('\n');
  for (const [id, v] of secrets) {
    const q = quote(v);
    if (q.length >= 4) text = text.split(q).join(secretPlaceholder(id));
  }
  return text;
}
