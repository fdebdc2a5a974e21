// PyPI's password reset, as a person does it (Warehouse accounts/views.py
// `request_password_reset` and `reset_password`, templates accounts/request-password-reset.html
// and reset-password.html): ask for the email, open its link, type the new password twice.
// Outcomes arrive as flashes, which Warehouse loads with JavaScript after the page (docs/sites/pypi.md, "Flash messages").
import type { Locator, Page } from "playwright";
import { RegistryError } from "../../src/errors.js";
import { submitForm, texts, whichAppears } from "../../src/browser/page-outcome.js";
import type { PasswordResetFlow, ResetContext } from "../../src/password/reset.js";
import type { Secret } from "../../src/secrets/secret.js";

const url = (ctx: ResetContext, path: string) => new URL(path, ctx.websiteUrl).toString();
const RESET_PATH = "/account/reset-password/";
const RERUN = "rerun rotate password pypi for a new link (the password is unchanged)";

const flash = (page: Page) => page.locator(".notification-bar__message");

/** /account/request-password-reset/: one field, and "Reset email sent" once PyPI has mailed the link. */
class RequestResetPage {
  constructor(private readonly page: Page) {}

  async request(ctx: ResetContext): Promise<void> {
    const { page } = this;
    await page.goto(url(ctx, "/account/request-password-reset/"));
    await ctx.steps.expect('the "Username or email" field of PyPI\'s password reset page', () =>
      page.getByLabel(/^Username or email/).fill(ctx.username),
    );
    await submitForm(page, () => page.getByRole("button", { name: "Request password reset" }).click(), "requesting a password reset");
    const errors = page.locator("form ul.form-errors li");
    const outcome = await whichAppears({
      sent: page.getByRole("heading", { name: "Reset email sent" }),
      error: errors,
      flash: flash(page),
    });
    if (outcome === "error")
      throw new RegistryError(`PyPI refused the reset request for ${ctx.username} (${await texts(errors)}): check --pypi-user, then rerun`);
    // "Automated password reset prohibited for your user": only PyPI's admins can help then.
    if (outcome === "flash") throw new RegistryError(`PyPI sent no reset link for ${ctx.username}: it said "${await texts(flash(page))}"`);
  }
}

/** /account/reset-password/?token=…: the form, or a flash on the request page saying why not. */
class ResetPasswordPage {
  readonly form: Locator;
  readonly fieldErrors: Locator;

  constructor(private readonly page: Page) {
    this.form = page.locator("#reset-password-form");
    this.fieldErrors = page.locator("#password-errors li, #confirm-password-errors li");
  }

  async open(link: Secret): Promise<void> {
    await this.page.goto(link.reveal());
    // An expired, used or foreign token is a 303 to the request page with an error flash.
    const outcome = await whichAppears({ form: this.form, refused: flash(this.page) });
    if (outcome === "refused") throw new RegistryError(`PyPI refused the reset link ("${await texts(flash(this.page))}"): ${RERUN}`);
  }

  async choose(ctx: ResetContext, password: Secret): Promise<void> {
    const { page } = this;
    // Warehouse's "Password" label points at id "password", not at the field (id "new_password"),
    // so the field has no accessible name and is found by its id.
    await ctx.steps.expect("the new password field of PyPI's reset page", () => page.locator("#new_password").fill(password.reveal()));
    await page.getByLabel(/^Confirm password/).fill(password.reveal());
    // The button stays disabled until both fields match (Warehouse's password-match controller).
    await submitForm(page, () => page.getByRole("button", { name: "Reset password" }).click(), "setting the new password");
    const outcome = await whichAppears({ flash: flash(page), error: this.fieldErrors });
    if (outcome === "error")
      throw new RegistryError(
        `PyPI refused the new password (${await texts(this.fieldErrors)}): rerun rotate password pypi (the password is unchanged)`,
      );
    const said = await texts(flash(page));
    if (!said.includes("You have reset your password")) throw new RegistryError(`PyPI did not reset the password: it said "${said}"`);
  }
}

export const pypiPasswordReset: PasswordResetFlow = {
  // Warehouse checks strength with zxcvbn and HaveIBeenPwned, not a length rule; WTForms caps
  // passwords at MAX_PASSWORD_SIZE = 4096; zxcvbn is told the username and email.
  rules: (username) => ({ minLength: 0, maxLength: 4096, mustNotContain: [username] }),
  isResetLink: (link) => link.pathname === RESET_PATH && link.searchParams.has("token"),
  requestReset: (page, ctx) => new RequestResetPage(page).request(ctx),
  openLink: (page, link) => new ResetPasswordPage(page).open(link),
  setPassword: (page, ctx, password) => new ResetPasswordPage(page).choose(ctx, password),
};
