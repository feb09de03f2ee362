import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';

/** Flatten zod issues to path + message, naming unknown keys one by one. */
export function zodIssues(err: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const i of err.issues) {
    const base = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: base ? `${base}.${k}` : k, message: 'unknown key' });
    } else {
      out.push({ path: base, message: i.message });
    }
  }
  return out;
}
