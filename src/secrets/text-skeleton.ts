// A page or a server may echo a secret transformed: HTML-escaped (once or twice), upper-cased,
// with zero-width or non-breaking spaces inside, wrapped across lines. The redactor matches on
// a skeleton of the text instead, and maps what it finds back to the original characters, so
// it can cut exactly those out.

export interface SkeletonOptions {
  /** Fold case and drop all whitespace too (for comparing with a known secret's skeleton). */
  fold: boolean;
}

export interface Skeleton {
  text: string;
  /** The original text's [start, end) that the skeleton's [from, to) came from. */
  span(from: number, to: number): [number, number];
}

interface Unit {
  text: string;
  start: number;
  end: number;
}

// Numeric references, and the named ones a page uses when it escapes text (decoded only when
// known; the optional ";" follows HTML's legacy parsing of these names).
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos|nbsp|shy|ZeroWidthSpace|NoBreak));?/g;
const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  shy: "\u00ad",
  ZeroWidthSpace: "\u200b",
  NoBreak: "\u2060",
};
/** Escaping is undone this many times at most: a page that escapes five times is not echoing. */
const MAX_DECODE_PASSES = 4;

// Characters that do not show: format controls (zero-width spaces and joiners, soft hyphen,
// bidi marks, BOM), other default-ignorables (variation selectors, fillers) and controls.
const INVISIBLE = /[\p{Cf}\p{Cc}\p{Default_Ignorable_Code_Point}]/u;
const SPACE = /[\s\p{Zl}\p{Zp}]/u;

function decodeOnce(units: Unit[]): Unit[] | undefined {
  const joined = units.map((u) => u.text).join("");
  const unitAt: number[] = [];
  units.forEach((u, i) => {
    for (let k = 0; k < u.text.length; k++) unitAt.push(i);
  });
  const out: Unit[] = [];
  let next = 0;
  let changed = false;
  for (const match of joined.matchAll(ENTITY)) {
    const [whole, decimal, hex, name] = match;
    const code = decimal ? Number(decimal) : hex ? Number.parseInt(hex, 16) : undefined;
    if (code !== undefined && (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))) continue;
    const decoded = code !== undefined ? String.fromCodePoint(code) : NAMED[name ?? ""];
    if (decoded === undefined) continue;
    const first = unitAt[match.index] ?? 0;
    const last = unitAt[match.index + whole.length - 1] ?? first;
    out.push(...units.slice(next, first));
    out.push({ text: decoded, start: units[first]?.start ?? 0, end: units[last]?.end ?? 0 });
    next = last + 1;
    changed = true;
  }
  if (!changed) return undefined;
  out.push(...units.slice(next));
  return out;
}

/** Compatibility-decomposed (NFKD works character by character, so positions survive), folded if asked. */
function normaliseChar(text: string, fold: boolean): string {
  const decomposed = text.normalize("NFKD");
  // Upper then lower folds "ß" and "SS" alike; NFKD again for what upper-casing composed.
  return fold ? decomposed.toUpperCase().toLowerCase().normalize("NFKD") : decomposed;
}

/**
 * ASCII without "&" (most of what rotate prints): nothing to decode or decompose, so only the
 * control characters (and, folded, the spaces) drop out, and case folds. The same result as the
 * general path, at a fraction of its cost: every line rotate prints passes through here.
 */
function asciiSkeleton(original: string, fold: boolean): Skeleton {
  let text = "";
  const kept: number[] = [];
  for (let i = 0; i < original.length; i++) {
    const code = original.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || (fold && code === 0x20)) continue;
    text += fold ? (original[i] ?? "").toLowerCase() : original[i];
    kept.push(i);
  }
  return {
    text,
    span: (from, to) => [kept[from] ?? original.length, to > 0 && kept[to - 1] !== undefined ? (kept[to - 1] ?? 0) + 1 : original.length],
  };
}

export function skeleton(original: string, options: SkeletonOptions): Skeleton {
  if (/^[\x00-\x7f]*$/.test(original) && !original.includes("&")) return asciiSkeleton(original, options.fold);
  let units: Unit[] = [];
  let offset = 0;
  for (const char of original) {
    units.push({ text: char, start: offset, end: offset + char.length });
    offset += char.length;
  }
  for (let pass = 0; pass < MAX_DECODE_PASSES; pass++) {
    const decoded = decodeOnce(units);
    if (!decoded) break;
    units = decoded;
  }
  let text = "";
  const starts: number[] = [];
  const ends: number[] = [];
  for (const unit of units) {
    for (const char of normaliseChar(unit.text, options.fold)) {
      if (INVISIBLE.test(char) || (options.fold && SPACE.test(char))) continue;
      text += char;
      for (let k = 0; k < char.length; k++) {
        starts.push(unit.start);
        ends.push(unit.end);
      }
    }
  }
  return {
    text,
    span: (from, to) => [starts[from] ?? original.length, ends[to - 1] ?? original.length],
  };
}
