// The npm replica's packages: which exist (those its users maintain), who maintains each, each
// package's trusted-publisher configurations (several since 2026-09-03, docs/sites/npm.md "Trust
// API") and its publishing-access settings.
import { randomUUID } from "node:crypto";
import type { NpmUser } from "./directory.js";

export interface TrustConfig {
  /** uuid */
  id: string;
  /** "circleci" here; the replica accepts only CircleCI configurations through the API. */
  type: string;
  claims: Record<string, unknown>;
  /** createPackage (npm publish) and/or createStagedPackage (npm stage publish). */
  permissions: string[];
}

export interface PackageAccess {
  access?: "public" | "private";
  publishRequiresTfa?: boolean;
  automationTokenOverridesTfa?: boolean;
}

export class NpmPackages {
  private readonly maintainers = new Map<string, string[]>();
  private readonly trust = new Map<string, TrustConfig[]>();
  private readonly access = new Map<string, PackageAccess>();

  constructor(users: NpmUser[]) {
    for (const user of users)
      for (const name of user.packages) this.maintainers.set(name, [...(this.maintainers.get(name) ?? []), user.username]);
  }

  exists(name: string): boolean {
    return this.maintainers.has(name);
  }

  maintainersOf(name: string): string[] {
    return [...(this.maintainers.get(name) ?? [])];
  }

  /** Oldest first. */
  trustsOf(name: string): TrustConfig[] {
    return [...(this.trust.get(name) ?? [])];
  }

  addTrust(name: string, config: Omit<TrustConfig, "id">): TrustConfig {
    if (!this.exists(name)) throw new Error(`the npm replica has no package ${name}`);
    const stored = { ...config, id: randomUUID() };
    this.trust.set(name, [...this.trustsOf(name), stored]);
    return stored;
  }

  removeTrust(name: string, id: string): boolean {
    const configs = this.trustsOf(name);
    if (!configs.some((c) => c.id === id)) return false;
    this.trust.set(
      name,
      configs.filter((c) => c.id !== id),
    );
    return true;
  }

  accessOf(name: string): PackageAccess {
    return { ...this.access.get(name) };
  }

  /** Fields left undefined keep their value. */
  setAccess(name: string, change: PackageAccess): void {
    const given = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
    this.access.set(name, { ...this.access.get(name), ...given });
  }
}
