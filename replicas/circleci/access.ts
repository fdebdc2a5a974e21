// Who is calling and what they may see or change (docs/sites/circleci.md, "Authentication" and "Errors").
import type { Request, Response } from "express";
import { credentialsOf, fail } from "./http.js";
import { MESSAGES } from "./messages.js";
import type { CircleciTokenGrant } from "./options.js";
import type { Organization, Store, StoredContext, StoredProject } from "./store.js";
import { slugKey } from "./vcs.js";

export type ProjectParams = { vcs: string; org: string; repo: string };

export class Access {
  private readonly grants: Map<string, CircleciTokenGrant>;

  constructor(
    private readonly store: Store,
    grants: CircleciTokenGrant[],
  ) {
    this.grants = new Map(grants.map((grant) => [grant.value, grant]));
  }

  grantOf(res: Response): CircleciTokenGrant | undefined {
    const { token } = credentialsOf(res);
    return token === undefined ? undefined : this.grants.get(token);
  }

  memberOf(grant: CircleciTokenGrant, org: Organization): boolean {
    return !grant.organizations || grant.organizations.some((slug) => slugKey(slug) === slugKey(org.slug));
  }

  /** A valid token, else 401 "You must log in first." */
  userOf(res: Response): CircleciTokenGrant {
    return this.grantOf(res) ?? fail(401, MESSAGES.loginRequired);
  }

  /** Viewers cannot edit variables. */
  mayWrite(grant: CircleciTokenGrant): void {
    if (grant.role === "viewer") fail(403, MESSAGES.permissionDenied);
  }

  // A bad token, an unknown slug and a project outside the user's orgs all look alike,
  // "by design to mirror the behavior on GitHub".
  projectOf(req: Request<ProjectParams>, res: Response): { grant: CircleciTokenGrant; project: StoredProject } {
    return this.visible(res, this.store.project(`${req.params.vcs}/${req.params.org}/${req.params.repo}`));
  }

  /** Inferred: routes that take a project id answer like the slug routes do. */
  projectById(id: string, res: Response): { grant: CircleciTokenGrant; project: StoredProject } {
    return this.visible(res, this.store.projectById(id));
  }

  contextOf(req: Request<{ id: string }>, res: Response): { grant: CircleciTokenGrant; context: StoredContext } {
    const grant = this.userOf(res);
    const context = this.store.context(req.params.id);
    if (!context || !this.memberOf(grant, context.organization)) fail(404, MESSAGES.contextNotFound);
    return { grant, context };
  }

  private visible(res: Response, project: StoredProject | undefined): { grant: CircleciTokenGrant; project: StoredProject } {
    const grant = this.grantOf(res);
    if (!grant || !project || !this.memberOf(grant, project.organization)) fail(404, MESSAGES.projectNotFound);
    return { grant, project };
  }
}
