// OpenID Connect id tokens as CircleCI gives them to a job (docs/sites/circleci.md, "OIDC tokens"),
// signed RS256 with this replica's own key, whose public half OIDC discovery serves on the
// replica's origin: `<iss>/.well-known/openid-configuration` names `<iss>/.well-known/jwks-pub.json`.
// A verifier that trusts issuers under `oidcIssuerBase` finds the key exactly as it would at
// oidc.circleci.com, where `iss` is `https://oidc.circleci.com/org/<organization id>`.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import express, { type Router } from "express";
import { fail } from "./http.js";
import { MESSAGES } from "./messages.js";
import type { MintRequest } from "./options.js";
import type { Store } from "./store.js";
import { vcsOriginOf } from "./vcs.js";

/** "OIDC tokens": tokens expire one hour after issue. */
const LIFETIME_SECONDS = 60 * 60;
const CLAIM = "oidc.circleci.com";

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export class OidcIssuer {
  private key: SigningKey | undefined;
  /** Every id token minted so far: a live one is a credential (npm exchanges it), so secrecy scans look for them. */
  readonly minted: string[] = [];

  constructor(
    private readonly store: Store,
    private readonly options: {
      /** The issuer base, known once the replica listens: `<origin>/oidc`. */
      base: () => string;
      now: () => Date;
      defaultUserId: string;
    },
  ) {}

  issuerOf(organizationId: string): string {
    return `${this.options.base()}/org/${organizationId}`;
  }

  /** Refuses what no job could ask for: an unknown project, another project's pipeline definition, a foreign context. */
  mint(request: MintRequest): string {
    const project = this.store.project(request.projectSlug);
    if (!project) throw new Error(`circleci replica: no project ${request.projectSlug} to mint a token for`);
    if (!project.pipelineDefinitions.some((definition) => definition.id === request.pipelineDefinitionId)) {
      throw new Error(`circleci replica: ${request.pipelineDefinitionId} is not a pipeline definition of ${project.slug}`);
    }
    const contextIds = request.contextIds ?? [];
    for (const id of contextIds) {
      if (this.store.context(id)?.organization !== project.organization)
        throw new Error(`circleci replica: ${id} is not a context of ${project.organization.slug}`);
    }
    const orgId = project.organization.id;
    const userId = request.userId ?? this.options.defaultUserId;
    const origin = vcsOriginOf(project.vcsUrl);
    const ref = request.vcsRef ?? `refs/heads/${project.defaultBranch}`;
    const issuedAt = Math.floor(this.options.now().getTime() / 1000);
    const claims = {
      iss: this.issuerOf(orgId),
      // Inferred: `circleci run oidc get` gives the V2 subject, which adds the origin and ref.
      sub: `org/${orgId}/project/${project.id}/user/${userId}/vcs-origin/${origin}/vcs-ref/${ref}`,
      aud: request.audience ?? orgId,
      iat: issuedAt,
      exp: issuedAt + LIFETIME_SECONDS,
      jti: randomUUID(), // listed in claims_supported by a third-party fake of this issuer (inferred)
      [`${CLAIM}/org-id`]: orgId,
      [`${CLAIM}/project-id`]: project.id,
      [`${CLAIM}/pipeline-definition-id`]: request.pipelineDefinitionId,
      [`${CLAIM}/pipeline-id`]: randomUUID(),
      [`${CLAIM}/workflow-id`]: randomUUID(),
      [`${CLAIM}/job-id`]: randomUUID(),
      // Inferred: an empty list when the job uses no context (the docs only say "an array").
      [`${CLAIM}/context-ids`]: contextIds,
      [`${CLAIM}/ssh-rerun`]: request.sshRerun ?? false,
      [`${CLAIM}/vcs-origin`]: origin,
      [`${CLAIM}/vcs-ref`]: ref,
    };
    const key = this.signingKey();
    const input = `${base64url({ alg: "RS256", typ: "JWT", kid: key.kid })}.${base64url(claims)}`;
    const token = `${input}.${sign("sha256", Buffer.from(input), key.privateKey).toString("base64url")}`;
    this.minted.push(token);
    return token;
  }

  /** Discovery and the key set, per organization, under the issuer base. */
  routes(): Router {
    const router = express.Router();
    const organization = (id: string) => this.store.organizations.get(id) ?? fail(404, MESSAGES.unknownRoute);

    router.get("/org/:orgId/.well-known/openid-configuration", (req, res) => {
      const issuer = this.issuerOf(organization(req.params.orgId).id);
      // Inferred field list: OpenID discovery's required fields, as a third-party fake of this issuer serves them.
      res.json({
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks-pub.json`,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public", "pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        scopes_supported: ["openid"],
        claims_supported: ["aud", "exp", "iat", "iss", "jti", "sub", ...CLAIMS.map((name) => `${CLAIM}/${name}`)],
      });
    });

    router.get("/org/:orgId/.well-known/jwks-pub.json", (req, res) => {
      organization(req.params.orgId);
      const key = this.signingKey();
      res.json({ keys: [{ ...key.publicKey.export({ format: "jwk" }), kid: key.kid, alg: "RS256", use: "sig" }] });
    });

    return router;
  }

  // Made on first use: most replicas never mint, and an RSA key takes a moment to generate.
  private signingKey(): SigningKey {
    this.key ??= { kid: randomUUID(), ...generateKeyPairSync("rsa", { modulusLength: 2048 }) };
    return this.key;
  }
}

const CLAIMS = [
  "org-id",
  "project-id",
  "pipeline-definition-id",
  "pipeline-id",
  "workflow-id",
  "job-id",
  "context-ids",
  "ssh-rerun",
  "vcs-origin",
  "vcs-ref",
];
