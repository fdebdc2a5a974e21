// The npm package a checkout publishes, read from its package.json so `rotate init` can propose
// it: the root package's name, or its workspaces' names when the root is private.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const PackageJson = z.object({ name: z.string().optional(), private: z.boolean().optional(), workspaces: z.array(z.string()).optional() });

function read(path: string): z.infer<typeof PackageJson> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed = PackageJson.safeParse(JSON.parse(readFileSync(path, "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function detectNpmPackages(cwd: string): string | undefined {
  const root = read(join(cwd, "package.json"));
  if (!root) return undefined;
  if (!root.private && root.name) return root.name;
  // Plain folder workspaces only ("packages/widget"); globs are left to the responder.
  const names = (root.workspaces ?? [])
    .filter((w) => !w.includes("*"))
    .map((w) => read(join(cwd, w, "package.json")))
    .filter((p) => p?.name && !p.private)
    .map((p) => p?.name);
  return names.length > 0 ? names.join(",") : undefined;
}
