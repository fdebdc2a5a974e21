// Typed handles on one registry's replica in a drill world, for the specs about that registry.
import type { NpmReplica, PypiReplica, SandboxWorld } from "rotate-replicas";

export const pypiOf = (world: SandboxWorld) => world.drill("pypi").replica as PypiReplica;
export const npmOf = (world: SandboxWorld) => world.drill("npm").replica as NpmReplica;
