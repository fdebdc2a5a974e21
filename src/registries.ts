// The registries rotate knows. Adding one is a flow file, a replica, and a line here.
import { npm } from "../flows/npm.js";
import { pypi } from "../flows/pypi.js";
import type { Registry } from "./flow.js";

export const registries: Array<Registry<unknown>> = [npm, pypi];
