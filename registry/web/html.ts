/**
 * Templates with escaping by default: `html\`<p>${text}</p>\`` escapes every interpolated value unless it
 * is already Html (another template, or sanitised Markdown). Typed, no client framework, no JSX build step.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Fragment = Html | string | number | null | undefined | false | readonly Fragment[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(fragment: Fragment): string {
  if (fragment === null || fragment === undefined || fragment === false) return '';
  if (fragment instanceof Html) return fragment.value;
  if (Array.isArray(fragment)) return (fragment as readonly Fragment[]).map(render).join('');
  return escapeHtml(String(fragment));
}

export function html(strings: TemplateStringsArray, ...values: Fragment[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup already made safe elsewhere (the sanitiser's output); never call it on input. */
export function trusted(markup: string): Html {
  return new Html(markup);
}
