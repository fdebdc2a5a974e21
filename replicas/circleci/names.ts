// docs/sites/circleci.md, "Project environment variables": names are letters, digits and `_`,
// not starting with a digit, at most 300 characters; values at most 32k characters (documented
// for contexts; applied to project variables too, inferred).
import { z } from "zod";
import { MESSAGES } from "./messages.js";

export const envVarName = z
  .string({ error: MESSAGES.badBody })
  .max(300, { error: MESSAGES.badName })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: MESSAGES.badName });

export const envVarValue = z.string({ error: MESSAGES.badBody }).max(32 * 1024, { error: MESSAGES.valueTooLong });
