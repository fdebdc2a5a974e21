// Form controls found by the label the page gives the control itself, whatever element wraps it:
// its <label>, aria-labelledby or aria-label, else the text just before it or the legend of the
// group it sits in. A page may label a combobox itself and wrap nothing in a fieldset (STYLE,
// "Learned the hard way"), so no lookup goes through a named group. Where two controls share a
// label ("Permissions" for packages and for organizations), the part of the form each sits in tells
// them apart: a group named around it, or the heading before it. One evaluation reads the whole
// form; each control is then addressed by its path, for Playwright's auto-waiting actions.
import type { Locator, Page } from "playwright";
import { SiteChangedError } from "../errors.js";

export interface ControlQuery {
  /** What the control's own label says. */
  label: RegExp;
  /** What the part of the form it sits in is called, when another control shares its label. */
  within?: RegExp;
}

/** A control, and when it is (part of) a dropdown, what opens it and the list its options show in. */
export interface Control {
  locator: Locator;
  /** A native <select>. */
  native: boolean;
  opener?: Locator;
  listbox?: Locator;
}

interface Found {
  path: string;
  native: boolean;
  opener?: string;
  listbox?: string;
}

type Pattern = { source: string; flags: string };
const pattern = (re: RegExp): Pattern => ({ source: re.source, flags: re.flags });

/** Everything that can take a choice or text; <summary> and [aria-haspopup] open custom dropdowns. */
const CONTROLS =
  "input:not([type=hidden]), select, textarea, [role=combobox], [role=listbox], summary, button[aria-haspopup], [role=button][aria-haspopup]";

/** Finds each query's one control; a query that finds none, or several, is a SiteChangedError naming it. */
export async function labelledControls<K extends string>(
  page: Page,
  queries: Record<K, ControlQuery>,
  where: string,
): Promise<Record<K, Control>> {
  const wanted = Object.entries<ControlQuery>(queries).map(([key, q]) => ({
    key,
    label: pattern(q.label),
    ...(q.within ? { within: pattern(q.within) } : {}),
  }));
  const found = await page.evaluate(findInPage, { wanted, selector: CONTROLS });
  const controls = {} as Record<K, Control>;
  for (const [key, query] of Object.entries<ControlQuery>(queries) as Array<[K, ControlQuery]>) {
    const hits = found[key] ?? [];
    const named = `a control labelled ${String(query.label)}${query.within ? ` in the part called ${String(query.within)}` : ""}`;
    const [hit] = hits;
    if (!hit || hits.length > 1) {
      throw new SiteChangedError(
        `${where} shows ${hits.length === 0 ? "no" : `${hits.length} controls for`} ${named} (the site may have changed): do this step by hand on the website`,
      );
    }
    controls[key] = {
      locator: page.locator(hit.path),
      native: hit.native,
      ...(hit.opener ? { opener: page.locator(hit.opener) } : {}),
      ...(hit.listbox ? { listbox: page.locator(hit.listbox) } : {}),
    };
  }
  return controls;
}

/** Runs in the page: every control, its own label (or legend, or the text before it) and the parts it sits in. */
function findInPage({
  wanted,
  selector,
}: {
  wanted: Array<{ key: string; label: Pattern; within?: Pattern }>;
  selector: string;
}): Record<string, Found[]> {
  const text = (node: Node | null | undefined) => (node?.textContent ?? "").replace(/\s+/g, " ").trim();
  const byIds = (ids: string) =>
    ids
      .split(/\s+/)
      .map((id) => text(document.getElementById(id)))
      .join(" ")
      .trim();
  const GROUPS = "fieldset, [role=group], [role=region], [role=radiogroup], section[aria-labelledby], section[aria-label]";
  const groupName = (group: Element) => {
    if (group.tagName === "FIELDSET") return text(group.querySelector(":scope > legend"));
    const ids = group.getAttribute("aria-labelledby");
    return ids ? byIds(ids) : (group.getAttribute("aria-label") ?? "");
  };
  const groupsAround = (el: Element) => {
    const names: string[] = [];
    for (let group = el.parentElement?.closest(GROUPS); group; group = group.parentElement?.closest(GROUPS)) names.push(groupName(group));
    return names.filter(Boolean);
  };
  /** The nearest node before `el` in document order that `pick` takes. */
  const before = <T>(el: Element, what: number, pick: (node: Node) => T | undefined): T | undefined => {
    const walker = document.createTreeWalker(document.body, what);
    walker.currentNode = el;
    while (walker.previousNode()) {
      const taken = pick(walker.currentNode);
      if (taken !== undefined) return taken;
    }
    return undefined;
  };
  const skipped = (node: Node) => node.parentElement?.closest(`script, style, option, [role=option], ${selector}`) !== null;
  const textBefore = (el: Element) =>
    before(el, NodeFilter.SHOW_TEXT, (node) => (skipped(node) || text(node) === "" ? undefined : text(node))) ?? "";
  const headingBefore = (el: Element) =>
    before(el, NodeFilter.SHOW_ELEMENT, (node) =>
      node instanceof Element && node.matches("h1, h2, h3, h4, h5, h6, [role=heading]") ? text(node) : undefined,
    );
  const ownLabel = (el: Element) => {
    const ids = el.getAttribute("aria-labelledby");
    if (ids) return byIds(ids);
    const aria = el.getAttribute("aria-label");
    if (aria) return aria.trim();
    const forIt = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
    if (forIt) return text(forIt);
    return text(el.closest("label"));
  };
  /** Its own label; without one, the text just before it (often the legend itself) and the legend of its group. */
  const labelsOf = (el: Element) => {
    const own = ownLabel(el);
    return own ? [own] : [textBefore(el), groupsAround(el)[0] ?? ""].filter(Boolean);
  };
  const isOpener = (el: Element) => el.matches("summary, [aria-haspopup], [role=combobox]:not(input)");
  /** A listbox's opener: the control that says it controls it, the <summary> of its <details>, or the one beside it. */
  const openerOf = (listbox: Element) =>
    (listbox.id ? document.querySelector(`[aria-controls="${CSS.escape(listbox.id)}"]:not(input)`) : null) ??
    listbox.closest("details")?.querySelector(":scope > summary") ??
    listbox.parentElement?.querySelector(":scope > [aria-haspopup]") ??
    undefined;
  const listboxOf = (opener: Element) =>
    (opener.getAttribute("aria-controls") ? document.getElementById(opener.getAttribute("aria-controls") ?? "") : null) ??
    opener.closest("details")?.querySelector("[role=listbox]") ??
    opener.parentElement?.querySelector(":scope > [role=listbox]") ??
    undefined;
  const path = (el: Element): string => {
    const parts: string[] = [];
    for (let e: Element | null = el; e && e !== document.documentElement; e = e.parentElement) {
      if (e.id && document.querySelectorAll(`#${CSS.escape(e.id)}`).length === 1) {
        parts.unshift(`#${CSS.escape(e.id)}`);
        return parts.join(" > ");
      }
      const kin = e.parentElement ? [...e.parentElement.children].filter((c) => c.tagName === e?.tagName) : [e];
      parts.unshift(`${e.tagName.toLowerCase()}:nth-of-type(${kin.indexOf(e) + 1})`);
    }
    return ["html", ...parts].join(" > ");
  };
  const visible = (el: Element) => el.getClientRects().length > 0;

  const controls = [...document.querySelectorAll(selector)].map((el) => {
    // A custom dropdown's opener and its listbox are one control: the opener stands for both.
    const unit = el.getAttribute("role") === "listbox" ? (openerOf(el) ?? el) : el;
    return { unit, labels: labelsOf(el), parts: [...groupsAround(el), headingBefore(el) ?? ""] };
  });
  const result: Record<string, Found[]> = {};
  for (const query of wanted) {
    const label = new RegExp(query.label.source, query.label.flags);
    const within = query.within ? new RegExp(query.within.source, query.within.flags) : undefined;
    const units = [
      ...new Set(
        controls.filter((c) => c.labels.some((l) => label.test(l)) && (!within || c.parts.some((p) => within.test(p)))).map((c) => c.unit),
      ),
    ];
    // Hidden twins (a closed dropdown's list, a field shown only later) give way to what shows.
    const shown = units.length > 1 ? units.filter(visible) : units;
    result[query.key] = shown.map((unit) => {
      // An opener's list, or the list a search box says it controls (a package picker's).
      const listbox =
        unit.getAttribute("role") === "listbox" ? unit : isOpener(unit) || unit.hasAttribute("aria-controls") ? listboxOf(unit) : undefined;
      return {
        path: path(unit),
        native: unit.tagName === "SELECT",
        ...(isOpener(unit) ? { opener: path(unit) } : {}),
        ...(listbox ? { listbox: path(listbox) } : {}),
      };
    });
  }
  return result;
}

/**
 * The options of a dropdown, however it is built, opened first when they are not on the page:
 * some dropdowns render their options only while open. A native <select> is read as it is.
 */
export async function openOptions(control: Control): Promise<{ names: string[]; pick: (name: string) => Promise<void> }> {
  if (control.native) {
    const select = control.locator;
    const names = await select.locator("option").evaluateAll((options) => options.map((o) => (o.textContent ?? "").trim()));
    return { names, pick: async (name) => void (await select.selectOption({ label: name })) };
  }
  const options = (control.listbox ?? control.locator).getByRole("option");
  if ((await options.count()) === 0 && control.opener) {
    await control.opener.click();
    await options.first().waitFor(); // first(): any option shows the list is open; all are read next
  }
  const names = await options.evaluateAll((items) => items.map((o) => (o.textContent ?? "").trim()));
  return { names, pick: (name) => options.filter({ hasText: name }).getByText(name, { exact: true }).click() };
}
