// The work of `rotate password npm|pypi` (its flags and help are in password.ts, beside it): the reset email,
// the link the responder pastes, a long random password set and shown once, the team's note.
import { z } from "zod";
import { Ask } from "../ask.js";
import { AuditLog, whoRan, type AuditLine } from "../audit.js";
import type { BrowserSession } from "../browser/launch.js";
import { loadSources, overriddenUrls, parseSettings, resolveSection, type Sources } from "../settings/config.js";
import { credentialsFrom } from "../settings/credentials.js";
import { openDrill } from "../drill/open.js";
import { requireDisplay } from "../browser/display.js";
import { InterruptedError, NeedsHumanError, NothingChangedError, RegistryError, UsageError } from "../errors.js";
import { generatePassword } from "../password/generate.js";
import { checkResetLink, resetSection, type PasswordResetFlow, type ResetContext } from "../password/reset.js";
import { Progress } from "../rotation/progress.js";
import type { Registry } from "../registry.js";
import { browserSection, circleciSection, type SettingsSection } from "../settings/declarations.js";
import { browserSettings } from "../settings/run-settings.js";
import type { Runtime } from "../runtime.js";
import { describeError, Secret } from "../secrets/secret.js";
import { createSteps } from "../rotation/steps.js";
import { confirmUrls } from "../settings/official-urls.js";
import type { PasswordFlags } from "./password.js";
import { drillBrowser } from "./prepare.js";

const ResetSettings = z.object({ websiteUrl: z.url(), username: z.string().optional() });
type ResetSettings = z.infer<typeof ResetSettings>;

function resetSettings(registrySection: SettingsSection, sources: Sources): ResetSettings {
  const section = resetSection(registrySection);
  return parseSettings(ResetSettings, resolveSection(section, sources), section, sources);
}

export async function runPassword(registryId: string, flags: PasswordFlags, runtime: Runtime): Promise<number> {
  const { io } = runtime;
  const registry = runtime.registries.find((candidate) => candidate.id === registryId);
  if (!registry) throw new UsageError(`rotate password knows ${runtime.registries.map((r) => r.id).join(" and ")}, not "${registryId}"`);
  const flow = await registry.passwordReset();
  // A person pastes the link and copies the password: without a terminal nothing starts.
  if (!io.canPrompt) {
    throw new UsageError(
      `a password reset needs a terminal: rotate asks for the reset link from the email and shows the new password there once; run rotate password ${registry.id} in a terminal`,
    );
  }
  // The replicas load only for drills: a real run never pays for them.
  const world = flags.sandbox ? await openDrill(runtime) : undefined;
  try {
    const sources = loadSources({
      flags: { ...flags, ...world?.flags(registry.id) },
      env: world ? world.env(registry.id, true) : runtime.env,
      cwd: runtime.cwd,
      fileSections: [circleciSection, browserSection, ...runtime.registries.map((r) => r.section)],
    });
    const settings = resetSettings(registry.section, sources);
    const browser = drillBrowser(browserSettings(sources), world, runtime);
    const ask = new Ask(io, runtime.prompter);
    if (!world)
      await confirmUrls(overriddenUrls([resetSection(registry.section)], sources), {
        trustUrls: Boolean(flags.trustUrls),
        ask,
        note: (text) => io.err(`${text}\n`),
      });
    const username = await credentialsFrom({
      id: registry.id,
      title: registry.title,
      ...(settings.username ? { username: settings.username } : {}),
      env: sources.env,
      ask,
    }).username();
    const progress = new Progress(io);
    const ctx: ResetContext = {
      websiteUrl: settings.websiteUrl,
      username,
      steps: createSteps(progress, { headed: !browser.headless, stepTimeoutMs: browser.stepTimeout * 1000 }),
    };
    // Drills on the replicas stay out of the audit record of real changes, as every drill does.
    const record = world ? () => undefined : auditTrail(runtime, registry, ctx);
    if (world) for (const line of world.instructions(registry.id)) io.err(`${line}\n`);

    if (!browser.headless) requireDisplay(runtime.env);
    const found = runtime.findBrowser(browser.path, { headless: browser.headless });
    const session = await progress.step("Open an isolated browser", () =>
      runtime.launchBrowser({
        browser: found,
        headless: browser.headless,
        allowedOrigins: [settings.websiteUrl],
        assetOrigins: registry.assetOrigins,
        env: runtime.env,
        timeoutMs: browser.stepTimeout * 1000,
      }),
    );
    // Ctrl-C closes the browser, which ends whatever step is waiting on it.
    const stop = () => void session.close();
    runtime.signal.addEventListener("abort", stop, { once: true });
    try {
      await progress.step(`Ask ${registry.title} to email a reset link for ${username}`, () => flow.requestReset(session.page, ctx));
      record("reset-requested", "ok");
      // A drill rehearses this too: the "email" is in the drill's outbox.
      if (world) progress.note(`DRILL: the reset email is in the drill's outbox, ${world.controlUrl}/outbox`);
      await openPastedLink(registry, flow, session, ctx, { ask, progress, websiteUrl: settings.websiteUrl });
      record("link-opened", "ok");
      const password = generatePassword(flow.rules(username), `new ${registry.title} password`);
      await setNewPassword(registry, flow, session, ctx, password, progress, runtime);
      record("password-set", "ok");
      io.showSecretOnce(world ? "New password of the drill account" : "New password", password);
      const note = resetNote(registry, username, runtime.clock(), whoRan(runtime.env));
      if (world)
        io.out(
          `DRILL: the drill account's password changed on the replica only; the sandbox's front desk (${world.controlUrl}) shows it now.\n\n${drillNote(note)}\n`,
        );
      else io.out(`${ADVICE}\n\n${note}\n`);
      return 0;
    } catch (error) {
      // A password that may have been set outranks an interruption: the responder must hear of it.
      const explained = error instanceof NeedsHumanError ? error : runtime.signal.aborted ? new InterruptedError() : session.explain(error);
      record("password-reset", "failed", describeError(explained));
      throw explained;
    } finally {
      runtime.signal.removeEventListener("abort", stop);
      await session.close();
    }
  } finally {
    await world?.close();
  }
}

const LINK_TRIES = 3;

/**
 * The link the responder pastes from the email, opened only when it is the site's own reset link;
 * a mistyped or wrong one is asked for again (three tries), as a mistyped code is.
 */
async function openPastedLink(
  registry: Registry,
  flow: PasswordResetFlow,
  session: BrowserSession,
  ctx: ResetContext,
  { ask, progress, websiteUrl }: { ask: Ask; progress: Progress; websiteUrl: string },
): Promise<void> {
  for (let tries = 1; ; tries++) {
    const link = await ask.secret(
      `Paste the reset link from ${registry.title}'s email:`,
      "reset link",
      "run rotate password in a terminal",
    );
    try {
      checkResetLink(link, flow, registry.title, websiteUrl);
      await progress.step("Open the reset link", () => flow.openLink(session.page, link, ctx));
      return;
    } catch (error) {
      const refused = error instanceof NothingChangedError || error instanceof RegistryError;
      if (!refused || tries >= LINK_TRIES) throw error;
      progress.note(`${describeError(error)}; paste the link again (try ${tries + 1} of ${LINK_TRIES})`);
    }
  }
}

/** A drill's note says so on every line a person might copy, so nobody posts it as real. */
function drillNote(note: string): string {
  return note
    .split("\n")
    .map((line, index) => (index === 0 ? `DRILL — ${line}` : line.replace(/^ {2}/, "  DRILL: ")))
    .join("\n");
}

/**
 * The site may have taken the password even when its answer never came (a timeout, Ctrl-C):
 * then the responder must still get it, or nobody can sign in. Only a refusal the site stated
 * means nothing changed.
 */
async function setNewPassword(
  registry: Registry,
  flow: PasswordResetFlow,
  session: BrowserSession,
  ctx: ResetContext,
  password: Secret,
  progress: Progress,
  runtime: Runtime,
): Promise<void> {
  try {
    await progress.step("Set a new random password", () => flow.setPassword(session.page, ctx, password));
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    runtime.io.showSecretOnce("New password (perhaps set)", password);
    throw new NeedsHumanError(
      `could not confirm that ${registry.title} took the new password (${describeError(session.explain(error))}): sign in with the password shown above; if ${registry.title} refuses it, the old password still works and rotate password ${registry.id} can run again`,
    );
  }
}

/** Appends one audit line per step: who reset which account, and how far it got; never a secret. */
function auditTrail(
  runtime: Runtime,
  registry: Registry,
  ctx: ResetContext,
): (step: string, outcome: AuditLine["outcome"], detail?: string) => void {
  const append = AuditLog.startRun(runtime.env);
  return (step, outcome, detail) =>
    append({
      at: runtime.clock().toISOString(),
      registry: registry.title,
      envVar: "account password",
      where: `${ctx.username} at ${new URL(ctx.websiteUrl).host}`,
      step,
      outcome,
      ...(detail ? { detail } : {}),
    });
}

const ADVICE = [
  "Store it in your password manager now, and share it with nobody: whoever needs the account next resets it again.",
  "rotate saved it nowhere and will not show it again.",
].join("\n");

/** The runbook's step 2: tell the team, in the thread the reset email started, that it was us. */
function resetNote(registry: Registry, username: string, now: Date, by: string): string {
  return [
    "Note for the team (post it in the mailing-list thread of the reset email):",
    `  ${now.toISOString().slice(0, 16).replace("T", " ")} UTC — ${by} reset the password of the ${registry.title} account ${username} with rotate password ${registry.id}.`,
    `  The reset was legitimate: the reset and password-change emails ${registry.title} sent to the team's address were this reset.`,
    `  The new password is with ${by} only and is not shared; whoever needs the account next resets it the same way.`,
  ].join("\n");
}
