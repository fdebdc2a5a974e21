// The registries rotate knows. Adding one is a flow file, a replica folder, and a line here.
import { npm } from "../flows/npm.js";
import { pypi } from "../flows/pypi.js";
import type { Registry } from "./registry.js";

export const registries: Registry[] = [npm, pypi];
