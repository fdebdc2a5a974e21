// The shape the folders promise, checked from the sources: src/ reaches a registry's flow folder
// only through src/registries.ts (the plug-in list), a replica's shared code imports no one
// registry's replica, and nothing imports itself round a cycle. Every reference counts: value and
// type imports, re-exports and `import()` expressions alike.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, test } from "@playwright/test";

const ROOT = resolve(".");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (["node_modules", "dist", "tests"].includes(name)) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every relative module a file names, resolved to the source file (`./x.js` → `x.ts`). */
export function referencesOf(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)"(\.{1,2}\/[^"]+)"/gm)].map((m) => m[1] ?? "");
  return specifiers.map((spec) => resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
}

function graphOf(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(files.map((file) => [file, referencesOf(file, readFileSync(file, "utf8")).filter((to) => known.has(to))]));
}

/** Strongly connected components of more than one file (or a file that names itself): the cycles. */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(to) ?? 0));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node) ?? 0, index.get(to) ?? 0));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || graph.get(node)?.includes(node)) cycles.push(component.map((f) => relative(ROOT, f)).sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

test("the cycle finder sees a cycle through a type import and an import() expression", () => {
  const a = resolve("a.ts");
  const b = resolve("b.ts");
  const c = resolve("c.ts");
  expect(referencesOf(a, 'import type { B } from "./b.js";\nexport const load = () => import("./c.js");')).toEqual([b, c]);
  expect(
    cyclesOf(
      new Map([
        [a, [b]],
        [b, [c]],
        [c, [a]],
      ]),
    ),
  ).toEqual([["a.ts", "b.ts", "c.ts"]]);
  expect(
    cyclesOf(
      new Map([
        [a, [b]],
        [b, [c]],
        [c, []],
      ]),
    ),
  ).toEqual([]);
});

for (const folder of ["src", "flows", "replicas"]) {
  test(`no import cycles in ${folder}/`, () => {
    expect(cyclesOf(graphOf(sources(resolve(folder))))).toEqual([]);
  });
}

test("src/ reaches flows/ only through src/registries.ts", () => {
  const flows = resolve("flows");
  const reaching = sources(resolve("src"))
    .filter((file) => referencesOf(file, readFileSync(file, "utf8")).some((to) => to.startsWith(`${flows}/`)))
    .map((file) => relative(ROOT, file));
  expect(reaching).toEqual(["src/registries.ts"]);
});

test("the replicas' shared code imports no one registry's replica", () => {
  const shared = resolve("replicas/shared");
  const outside = sources(shared).flatMap((file) =>
    referencesOf(file, readFileSync(file, "utf8"))
      .filter((to) => !to.startsWith(`${shared}/`))
      .map((to) => `${relative(ROOT, file)} → ${relative(ROOT, to)}`),
  );
  expect(outside).toEqual([]);
});
