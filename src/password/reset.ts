// The shape of a registry's "forgot password" pages as `rotate password` drives them (the
// runbook's other procedure: whoever needs the shared account resets its password): ask the
// site to email a reset link, open the link the responder pastes, choose the new password.
import type { Page } from "playwright";
import type { SettingsSection } from "../settings/declarations.js";
import { NothingChangedError } from "../errors.js";
import type { PasswordRules } from "./generate.js";
import type { Secret } from "../secrets/secret.js";
import type { Steps } from "../rotation/steps.js";

export interface ResetContext {
  websiteUrl: string;
  username: string;
  steps: Steps;
}

export interface PasswordResetFlow {
  rules(username: string): PasswordRules;
  /** Whether a link on the site's own origin is one of its password reset links. */
  isResetLink(url: URL): boolean;
  /** Submits the account's username on the "forgot password" page; the site emails the link. */
  requestReset(page: Page, ctx: ResetContext): Promise<void>;
  /** Opens the emailed link; a RegistryError when the site refuses it (expired, used). */
  openLink(page: Page, link: Secret, ctx: ResetContext): Promise<void>;
  /** Fills and submits the new password, and waits for the site to say it was changed. */
  setPassword(page: Page, ctx: ResetContext, password: Secret): Promise<void>;
}

/** The two settings of a registry section the reset needs, with their flags, env and config keys. */
export function resetSection(section: SettingsSection): SettingsSection {
  const { websiteUrl, username } = section.settings;
  if (!websiteUrl || !username) throw new Error(`the ${section.section} settings declare no websiteUrl or username`);
  return { section: section.section, settings: { websiteUrl, username } };
}

/**
 * A pasted link is opened only if it is one of the registry's own reset links: a link to any
 * other origin is what a phishing email would carry, and rotate must not type a password there.
 */
export function checkResetLink(link: Secret, flow: PasswordResetFlow, title: string, websiteUrl: string): void {
  const unchanged = "the password is unchanged";
  let url: URL;
  try {
    url = new URL(link.reveal());
  } catch {
    throw new NothingChangedError(
      `what was pasted is not a link: rerun and paste the whole reset link from ${title}'s email (${unchanged})`,
    );
  }
  const expected = new URL(websiteUrl).origin;
  if (url.origin !== expected) {
    throw new NothingChangedError(
      `the pasted link goes to ${url.origin}, not to ${title} at ${expected}, so rotate did not open it: check who sent that email, then rerun with the link from ${title}'s own email (${unchanged})`,
    );
  }
  if (!flow.isResetLink(url)) {
    throw new NothingChangedError(
      `the pasted link (${url.pathname}) is not a ${title} password reset link: rerun and paste the link from the password reset email (${unchanged})`,
    );
  }
}
