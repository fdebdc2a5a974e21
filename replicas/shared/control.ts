// The drill's front desk, on loopback: what a rehearsal needs that a real run gets elsewhere. The
// drill account (the "password manager"), the current one-time code (the "authenticator app"),
// and the outbox (the "mailbox" the registries' reset emails land in). `rotate <registry> --sandbox`
// also finds an already running `rotate sandbox` here. For trusted-publishing drills it stands in
// for a CircleCI job: the projects and pipeline definitions jobs run under, and the OIDC id token
// `circleci run oidc get` prints inside such a job.
//
// A `rotate sandbox` is found on a known port, so something else could listen there and pose as
// one (and be typed a password into). With a key (a per-sandbox secret `rotate sandbox` keeps in a
// file only its user can read), GET /drill answers only a caller that proves it knows the key,
// and proves in turn that the sandbox knows it: each side sends HMAC-SHA256(key, "<role> <nonce>")
// of the caller's nonce (src/drill/open.ts is the other side).
import { createHmac, timingSafeEqual } from "node:crypto";
import express from "express";
import * as OTPAuth from "otpauth";
import escapeHtml from "escape-html";
import { z } from "zod";
import { heldTokenOf, type RegistryDrill } from "./drill.js";
import { listen, type Listening } from "./server.js";

/** What a job asks for when it runs `circleci run oidc get --claims '{"aud": …}'`. */
const JobToken = z.strictObject({
  projectSlug: z.string(),
  pipelineDefinitionId: z.string(),
  contextIds: z.array(z.string()).optional(),
  sshRerun: z.boolean().optional(),
  audience: z.string(),
});

/** What the front desk needs of the CircleCI replica: its projects, and id tokens as a job of one would get them. */
export interface JobsCircleci {
  apiUrl: string;
  projectSlugs(): string[];
  project(slug: string): { slug: string; pipelineDefinitions: Array<{ id: string; name: string }> } | undefined;
  mintIdToken(job: z.infer<typeof JobToken>): string;
}

export interface ControlWorld {
  circleci: JobsCircleci;
  circleciToken: string;
  drills: RegistryDrill[];
  flags(id: string): Record<string, unknown>;
  /** Which organisation's fleet the world holds (world.ts, fleetId), when it holds one. */
  fleet?: string;
}

/** What GET /drill answers: enough for a run of rotate to point itself at this world. */
export interface DrillDirectory {
  circleciToken: string;
  fleet?: string;
  registries: Record<
    string,
    { flags: Record<string, unknown>; username: string; password: string; totpSecret: string; heldToken?: string }
  >;
}

export const SANDBOX_CHALLENGE = "x-rotate-sandbox-challenge";
export const SANDBOX_PROOF = "x-rotate-sandbox-proof";

/** The proof of knowing the sandbox's key, for one side ("client" or "sandbox") and one nonce. */
export function sandboxProof(key: string, role: "client" | "sandbox", nonce: string): string {
  return createHmac("sha256", key).update(`${role} ${nonce}`).digest("hex");
}

function sameText(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

function codeFor(totpSecret: string): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(totpSecret) }).generate();
}

export async function serveControl(world: ControlWorld, options: { host: string; port?: number; key?: string }): Promise<Listening> {
  const app = express();
  app.disable("x-powered-by");
  app.get("/drill", (req, res) => {
    const { key } = options;
    if (key) {
      const nonce = req.get(SANDBOX_CHALLENGE) ?? "";
      if (nonce.length < 32 || !sameText(req.get(SANDBOX_PROOF) ?? "", sandboxProof(key, "client", nonce)))
        return res.status(403).type("text").send("prove you know this sandbox's key\n");
      res.setHeader(SANDBOX_PROOF, sandboxProof(key, "sandbox", nonce));
    }
    const directory: DrillDirectory = {
      circleciToken: world.circleciToken,
      ...(world.fleet ? { fleet: world.fleet } : {}),
      registries: Object.fromEntries(
        world.drills.map((d) => {
          const heldToken = heldTokenOf(d, Boolean(world.fleet));
          return [d.id, { flags: world.flags(d.id), ...d.account, ...(heldToken ? { heldToken } : {}) }];
        }),
      ),
    };
    res.json(directory);
  });
  // The front page: each drill account as a password manager holds it now (after a drill of
  // `rotate password` too), where its codes are, and the outbox.
  app.get("/", (_req, res) => {
    const rows = world.drills.map(
      (d) =>
        `<tr><th scope="row">${escapeHtml(d.id)}</th><td>${escapeHtml(d.account.username)}</td><td><code>${escapeHtml(d.account.password)}</code></td><td><code>${escapeHtml(d.account.totpSecret)}</code></td><td><a href="/code/${escapeHtml(d.id)}">current code</a></td></tr>`,
    );
    res
      .type("html")
      .send(
        `<!doctype html><title>Drill front desk</title><h1>Drill front desk</h1><p>Made up for this sandbox and valid only on its replicas.</p><table><thead><tr><th>Registry</th><th>User</th><th>Password</th><th>TOTP secret</th><th>One-time code</th></tr></thead><tbody>${rows.join("")}</tbody></table><p><a href="/outbox">Outbox</a> (password reset emails)</p>`,
      );
  });
  app.get("/code/:registry", (req, res) => {
    const drill = world.drills.find((d) => d.id === req.params.registry);
    if (!drill) return res.status(404).type("text").send("no such registry in this drill\n");
    res.type("text").send(`${codeFor(drill.account.totpSecret)}\n`);
  });
  app.get("/outbox", (_req, res) => {
    const mail = world.drills.flatMap((d) => {
      const link = d.resetLink(d.account.username);
      return link
        ? [
            `<li><strong>${escapeHtml(d.id)}</strong>: password reset for ${escapeHtml(d.account.username)}: <a href="${escapeHtml(link)}">${escapeHtml(link)}</a></li>`,
          ]
        : [];
    });
    res
      .type("html")
      .send(`<!doctype html><title>Drill outbox</title><h1>Drill outbox</h1><ul>${mail.join("") || "<li>No email yet.</li>"}</ul>`);
  });
  // The projects jobs can run in, each with the pipeline definitions a job can run under.
  app.get("/circleci/projects", (_req, res) => {
    res.json(
      world.circleci.projectSlugs().flatMap((slug) => {
        const project = world.circleci.project(slug);
        return project ? [{ slug: project.slug, pipelineDefinitions: project.pipelineDefinitions }] : [];
      }),
    );
  });
  // `circleci run oidc get` in a job of that project, pipeline definition and contexts: the JWT, printed as is.
  app.post("/circleci/oidc-token", express.json(), (req, res) => {
    const job = JobToken.safeParse(req.body);
    if (!job.success)
      return res
        .status(400)
        .type("text")
        .send("give projectSlug, pipelineDefinitionId, audience, and optionally contextIds and sshRerun\n");
    try {
      res.type("text").send(world.circleci.mintIdToken(job.data));
    } catch (error) {
      // No job runs under an unknown project, another project's definition or a foreign context.
      res
        .status(400)
        .type("text")
        .send(`${error instanceof Error ? error.message : String(error)}\n`);
    }
  });
  return listen(app, options);
}
