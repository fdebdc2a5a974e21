// The replicas of the sites rotate works with (npmjs.com and the npm registry, pypi.org, the
// CircleCI API v2), for the demo, drills and tests. Its own package: a real rotation never
// loads it, and its web stack is not among rotate's runtime dependencies.
export { DEMO } from "./demo.js";
export { fleetId, startSandboxWorld, type SandboxWorld, type WorldOptions } from "./world.js";
export type { DrillAccount, DrillPoints, FaultPoint, FleetRotationSeed, FleetSeed, RegistryDrill } from "./shared/drill.js";
export type { DrillDirectory } from "./shared/control.js";
export {
  startCircleciReplica,
  type CircleciReplica,
  type CircleciReplicaOptions,
  type CircleciProjectSeed,
  type CircleciContextSeed,
  type CircleciPipelineDefinitionSeed,
  type CircleciProjectRecord,
  type CircleciTokenGrant,
  type MintRequest,
  type RecordedCall,
} from "./circleci/replica.js";
export {
  startNpmReplica,
  type ExchangeGrant,
  type ExchangeOutcome,
  type NpmReplica,
  type NpmReplicaOptions,
  type NpmPermission,
  type NpmSettings,
  type NpmTokenRecord,
  type NpmUser,
  type PackageAccess,
  type TrustConfig,
} from "./npm/replica.js";
export { startPypiReplica, macaroonId } from "./pypi/replica.js";
export type { PypiReplica, PypiReplicaOptions, PypiTokenRecord, PypiUser } from "./pypi/options.js";
export { FaultPlan, FORCE_REAUTH, type Fault, type FaultRule, type FaultHit } from "./shared/faults.js";
export { listen, type Listening, type ListenOptions } from "./shared/server.js";
