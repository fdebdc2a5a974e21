// The npm website's password reset, as a person does it. npm documents the entry point (the sign-in
// page's "Forgot password?" link; `npm login`'s help sends people to /forgot) and the password
// rules ("Creating a strong password"), not the pages themselves. So each page is found by the
// field a person would look for, and its form is submitted by that form's own button, whatever
// it is labelled; the link's /forgot/<token> shape is inferred [I].
import type { Locator, Page } from "playwright";
import { RegistryError } from "../../src/errors.js";
import { submitForm, texts, whichAppears } from "../../src/browser/page-outcome.js";
import type { PasswordResetFlow, ResetContext } from "../../src/password/reset.js";
import type { Secret } from "../../src/secrets/secret.js";

const url = (ctx: ResetContext, path: string) => new URL(path, ctx.websiteUrl).toString();
const RERUN = "rerun rotate password npm for a new link (the password is unchanged)";

/** The one submit button of the form that holds this field. */
const submitOf = (page: Page, field: Locator) => page.locator("form").filter({ has: field }).getByRole("button");

export const npmPasswordReset: PasswordResetFlow = {
  // "longer than 10 characters", "does not match or significantly contain your username"; the
  // upper bound is not documented [I].
  rules: (username) => ({ minLength: 11, maxLength: 128, mustNotContain: [username] }),
  isResetLink: (link) => /^\/forgot\/[\w-]+$/.test(link.pathname),

  async requestReset(page, ctx) {
    await page.goto(url(ctx, "/forgot"));
    const field = page.getByLabel(/username or email/i);
    await ctx.steps.expect("the username field of npm's forgot-password page", () => field.fill(ctx.username));
    await submitForm(page, () => submitOf(page, field).click(), "requesting a password reset");
    const outcome = await whichAppears({ sent: page.getByRole("status"), error: page.getByRole("alert") });
    if (outcome === "error")
      throw new RegistryError(
        `npm refused the reset request for ${ctx.username} (${await texts(page.getByRole("alert"))}): check --npm-user, then rerun`,
      );
  },

  async openLink(page, link: Secret) {
    await page.goto(link.reveal());
    const outcome = await whichAppears({ form: page.getByLabel(/^new password$/i), refused: page.getByRole("alert") });
    if (outcome === "refused") throw new RegistryError(`npm refused the reset link ("${await texts(page.getByRole("alert"))}"): ${RERUN}`);
  },

  async setPassword(page, ctx, password) {
    const field = page.getByLabel(/^new password$/i);
    await ctx.steps.expect("the new password field of npm's reset page", () => field.fill(password.reveal()));
    await page.getByLabel(/^confirm/i).fill(password.reveal());
    await submitForm(page, () => submitOf(page, field).click(), "setting the new password");
    const outcome = await whichAppears({ changed: page.getByRole("status"), error: page.getByRole("alert") });
    if (outcome === "error")
      throw new RegistryError(
        `npm refused the new password (${await texts(page.getByRole("alert"))}): rerun rotate password npm (the password is unchanged)`,
      );
  },
};
