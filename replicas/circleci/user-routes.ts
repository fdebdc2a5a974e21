// Spec tag "User": the token check (GET /me) and the user's organizations.
import type { Router } from "express";
import type { RouteDeps } from "./route-deps.js";
import { send } from "./http.js";
import { vcsOf } from "./vcs.js";

export function userRoutes(router: Router, { store, access }: RouteDeps): void {
  // docs/sites/circleci.md, "Authentication": 401 "You must log in first." for a bad or missing token.
  router.get("/me", (_req, res) => send(res, 200, access.userOf(res).user));

  router.get("/me/collaborations", (_req, res) => {
    const grant = access.userOf(res);
    const orgs = [...store.organizations.values()].filter((org) => access.memberOf(grant, org));
    send(
      res,
      200,
      orgs.map((org) => ({
        id: org.id,
        "vcs-type": vcsOf(org.slug).vcsType,
        name: org.name,
        avatar_url: "", // the replica has no avatars
        slug: org.slug,
      })),
    );
  });
}
