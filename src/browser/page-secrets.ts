// Reading a secret a page shows (a new token) by its format, wherever the page shows it: a text
// node or a field's value. One page.evaluate() finds and returns it, so the value never passes
// through a locator, whose descriptions Playwright puts in its logs and error messages
// ("locator resolved to <code>npm_…</code>"). Waiting for it returns only a count.
//
// Whole-page reads go through page.evaluate(): Playwright's own in-page helper, which locators'
// evaluate() and waitForFunction() set up in every new page, costs some 50 ms each time.
import type { Page } from "playwright";
import { Secret } from "../secrets/secret.js";

export interface SecretFormat {
  /** What the value is, for the Secret and for messages ("npm token"). */
  label: string;
  /** The whole value; matched as a word (not inside a longer run of the same characters). */
  pattern: RegExp;
  /** How long to wait for it to appear; the context's step timeout when not given. */
  timeoutMs?: number;
}

/** The distinct values on the page that have the format (runs in the page). */
function findByFormat([source, flags]: [string, string]): string[] {
  const pattern = new RegExp(source, flags.includes("g") ? flags : `${flags}g`);
  const found = new Set<string>();
  const look = (text: string | null | undefined) => {
    for (const match of (text ?? "").matchAll(pattern)) found.add(match[0]);
  };
  const hidden = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"]);
  const visit = (root: Document | ShadowRoot) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) {
        if (!hidden.has(node.parentElement?.tagName ?? "")) look(node.nodeValue);
        continue;
      }
      const element = node as Element;
      if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) look(element.value);
      if (element.shadowRoot) visit(element.shadowRoot);
    }
  };
  visit(document);
  return [...found];
}

/**
 * The one value of this format the page shows, as a Secret. Several different ones are a
 * finding (a decoy, or the wrong page), not something to choose from.
 */
export async function readSecretByFormat(page: Page, format: SecretFormat): Promise<Secret> {
  // Word boundaries made explicit, so a longer run of the same alphabet does not count.
  const bounded = `(?<![A-Za-z0-9_-])(?:${format.pattern.source})(?![A-Za-z0-9_-])`;
  const args: [string, string] = [bounded, format.pattern.flags];
  // Usually it is on the page already. If not (or the page was still changing), wait for the
  // same search in the page, answering only whether it found something.
  let values = await page.evaluate(findByFormat, args).catch(() => []);
  if (values.length === 0) {
    await page.waitForFunction(
      `(${findByFormat.toString()})(${JSON.stringify(args)}).length > 0`,
      undefined,
      format.timeoutMs === undefined ? {} : { timeout: format.timeoutMs },
    );
    values = await page.evaluate(findByFormat, args);
  }
  if (values.length === 0) throw new Error(`the page does not show the ${format.label} where it should`);
  if (values.length > 1)
    throw new Error(`the page shows ${values.length} different values shaped like a ${format.label}; rotate takes none of them`);
  return new Secret(values[0] ?? "", format.label, { showLast4: true });
}
