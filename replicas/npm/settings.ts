// The npm replica's knobs: what a test or a drill turns to make the site harder on purpose.
// Every field may be changed while the replica runs; each request reads the current value.

export interface NpmSettings {
  /** Escalate token create/delete on the website (when npm does is undocumented [I], docs/sites/npm.md "Re-authentication"). */
  escalate: { create: boolean; delete: boolean };
  /** How long "don't ask again" lasts after an escalation. */
  escalationCooldownSeconds: number;
  /**
   * The granular-token pages' DOM is inferred (docs/sites/npm.md, "Token pages"): "documented" follows the
   * docs' order and the scripts seen in public; "variant" is a second plausible shape (other order,
   * a combobox picker, the token in an input, other wording, an escalation that completes the action);
   * "labelled" a third, with no named group at all: each control labelled itself, a native <select>
   * for each permission, the expiry a combobox button whose date input shows only after "Custom".
   */
  pageShape: "documented" | "variant" | "labelled";
  webLogin: {
    /**
     * /login/cli/<uuid> asks the person to press a button before the CLI login completes: on by
     * default, as npm's CLI notes tell users to "click the login button on the website"
     * (docs/sites/npm.md, "What the person sees" [I]); off, the page completes the login at once.
     */
    confirm: boolean;
    /** The done URL's Retry-After while waiting, in seconds (its real value is not documented). */
    retryAfterSeconds: number;
  };
  /** How many more registry API calls that carry a one-time code answer EOTP as if the code were wrong. */
  refuseOtps: number;
  /**
   * "reusable": an authenticator code that worked is good again while it is valid (npm's registry
   * takes one code for several calls: tools that publish many packages pass one --otp to all of
   * them, docs/sites/npm.md "One-time codes on API calls" [I]); "single-use": each code works once,
   * as some servers do. Sign-in, escalation and the registry's calls alike.
   */
  oneTimeCodes: "reusable" | "single-use";
  /** New write tokens get at most this many days, whatever was asked, without a word (as npm once moved expiries [I]). */
  shortenWriteTokensToDays: number | undefined;
  /**
   * Stands in for the human at a visible browser in a security-key drill: the page presses its own
   * "Use security key" this long after it loads. Undefined: nobody does.
   */
  simulatedHumanKeyMs: number | undefined;
}

export function defaultSettings(): NpmSettings {
  return {
    escalate: { create: false, delete: false },
    escalationCooldownSeconds: 300,
    pageShape: "documented",
    webLogin: { confirm: true, retryAfterSeconds: 1 },
    refuseOtps: 0,
    oneTimeCodes: "reusable",
    shortenWriteTokensToDays: undefined,
    simulatedHumanKeyMs: undefined,
  };
}
