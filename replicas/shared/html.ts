// A tiny escaping template tag for the replicas' pages: interpolated values are HTML-escaped
// unless they are already Html (a nested template), and arrays are joined.
import escapeHtml from "escape-html";

export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

type Value = Html | string | number | boolean | null | undefined | Value[];

function render(value: Value): string {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

/** Markup that is trusted as-is (a constant snippet, never user input). */
export function raw(markup: string): Html {
  return new Html(markup);
}
