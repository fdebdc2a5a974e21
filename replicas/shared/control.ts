// The drill's front desk, on loopback: what a rehearsal needs that a real run gets elsewhere. The
// drill account (the "password manager"), the current one-time code (the "authenticator app"),
// and the outbox (the "mailbox" the registries' reset emails land in). `rotate <registry> --sandbox`
// also finds an already running `rotate sandbox` here.
import express from "express";
import * as OTPAuth from "otpauth";
import escapeHtml from "escape-html";
import type { RegistryDrill } from "./drill.js";
import { listen, type Listening } from "./server.js";

export interface ControlWorld {
  circleci: { apiUrl: string };
  circleciToken: string;
  drills: RegistryDrill[];
  flags(id: string): Record<string, unknown>;
}

/** What GET /drill answers: enough for a run of rotate to point itself at this world. */
export interface DrillDirectory {
  circleciToken: string;
  registries: Record<string, { flags: Record<string, unknown>; username: string; password: string; totpSecret: string; heldToken: string }>;
}

function codeFor(totpSecret: string): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(totpSecret) }).generate();
}

export async function serveControl(world: ControlWorld, options: { host: string; port?: number }): Promise<Listening> {
  const app = express();
  app.disable("x-powered-by");
  app.get("/drill", (_req, res) => {
    const directory: DrillDirectory = {
      circleciToken: world.circleciToken,
      registries: Object.fromEntries(
        world.drills.map((d) => [d.id, { flags: world.flags(d.id), ...d.account, heldToken: d.heldToken }]),
      ),
    };
    res.json(directory);
  });
  app.get("/code/:registry", (req, res) => {
    const drill = world.drills.find((d) => d.id === req.params.registry);
    if (!drill) return res.status(404).type("text").send("no such registry in this drill\n");
    res.type("text").send(`${codeFor(drill.account.totpSecret)}\n`);
  });
  app.get("/outbox", (_req, res) => {
    const mail = world.drills.flatMap((d) => {
      const link = d.resetLink(d.account.username);
      return link ? [`<li><strong>${escapeHtml(d.id)}</strong>: password reset for ${escapeHtml(d.account.username)}: <a href="${escapeHtml(link)}">${escapeHtml(link)}</a></li>`] : [];
    });
    res.type("html").send(`<!doctype html><title>Drill outbox</title><h1>Drill outbox</h1><ul>${mail.join("") || "<li>No email yet.</li>"}</ul>`);
  });
  return listen(app, options);
}
