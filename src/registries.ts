// The registries rotate knows. Adding one is a flow file, a replica folder, and a line here.
import { npm } from "../flows/npm/index.js";
import { pypi } from "../flows/pypi/index.js";
import type { Registry } from "./registry.js";

export const registries: Registry[] = [npm, pypi];
