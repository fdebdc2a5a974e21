// What the npm token pages call each permission. The packages-and-scopes labels are the
// production ones since 2026-09-18 (docs/sites/npm.md, "Granular token form" step 5, docs/sites/npm.md, "Granular token form"); organizations keep three.
import { NO_ACCESS, type NpmPermission, type OrgPermission } from "./directory.js";

export const PACKAGE_PERMISSION_LABELS: Record<NpmPermission | typeof NO_ACCESS, string> = {
  [NO_ACCESS]: "No access",
  "read-only": "Read-only",
  "read-write": "Read and write (publish and stage)",
  "read-write-stage-only": "Read and write (stage only)",
};

export const ORG_PERMISSION_LABELS: Record<OrgPermission | typeof NO_ACCESS, string> = {
  [NO_ACCESS]: "No access",
  "read-only": "Read-only",
  "read-write": "Read and write",
};

/** "Nov 24, 2026", in UTC so a page reads the same wherever the replica runs. */
export function shortDate(date: Date): string {
  return date.toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}
