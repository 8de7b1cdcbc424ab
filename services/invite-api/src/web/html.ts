/** Minimal, safe HTML building for the server-rendered pages: every interpolated value is escaped. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** Markup that is already safe (built by these helpers); anything else passed to `html` is escaped. */
export interface SafeHtml {
  readonly safe: string;
}

export function raw(markup: string): SafeHtml {
  return { safe: markup };
}

type Part = string | number | SafeHtml | readonly SafeHtml[] | undefined | false;

/** Tagged template: `html\`<p>${name}</p>\`` escapes `name`; nested `html` results pass through. */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return { safe: out };
}

function render(value: Part): string {
  if (value === undefined || value === false) return '';
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return (value as readonly SafeHtml[]).map((part) => part.safe).join('');
  return (value as SafeHtml).safe;
}
