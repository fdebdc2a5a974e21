// A drill ends by proving the configuration the way CircleCI and npm will use it: the drill's
// front desk stands in for `circleci run oidc get` inside a job (it mints the id token a job of
// that project, pipeline definition and contexts would get), and the token is exchanged exactly
// as npm's CLI does before a publish. A token of this project and pipeline must get a publish
// token; one of another project, of another pipeline definition, or of an SSH re-run must not.
import { z } from "zod";
import { createHttp } from "../http/policy.js";
import { Secret } from "../secrets/secret.js";
import type { TrustTerms } from "./capability.js";

export interface ProofSubject {
  registryUrl: string;
  packages: string[];
  projectSlug: string;
  pipelineDefinitionId: string;
  contextIds: string[];
}

export interface ProofCase {
  package: string;
  /** "this project and pipeline", "another project", … */
  job: string;
  expected: "accepted" | "refused";
  outcome: "accepted" | "refused" | "not tried";
  /** The registry's status and message for a refusal, or why a case could not be tried. */
  detail?: string;
}

export interface ProofOutcome {
  ok: boolean;
  cases: ProofCase[];
}

export type Prover = (subject: ProofSubject, signal: AbortSignal) => Promise<ProofOutcome>;

const JobProjects = z.array(z.object({ slug: z.string(), pipelineDefinitions: z.array(z.object({ id: z.string(), name: z.string() })) }));

interface Job {
  projectSlug: string;
  pipelineDefinitionId: string;
  contextIds?: string[];
  sshRerun?: boolean;
}

/** The prover of a drill whose front desk is at `controlUrl`, exchanging as the registry's own client does. */
export function drillProver(controlUrl: string, registry: Pick<TrustTerms, "audience" | "exchange">): Prover {
  return async (subject, signal) => {
    const http = createHttp({ timeoutMs: 15_000 });
    const projects = JobProjects.parse((await http.get(`${controlUrl}/circleci/projects`, { signal })).data);
    const ours = projects.find((p) => p.slug.toLowerCase() === subject.projectSlug.toLowerCase());
    const otherProject = projects.find((p) => p !== ours && p.pipelineDefinitions.length > 0);
    const otherDefinition = ours?.pipelineDefinitions.find((d) => d.id !== subject.pipelineDefinitionId);
    const mint = async (job: Job): Promise<Secret> => {
      const answer = await http.post(
        `${controlUrl}/circleci/oidc-token`,
        { ...job, audience: registry.audience(subject.registryUrl) },
        { signal, responseType: "text" },
      );
      if (answer.status !== 200) throw new Error(`the drill's CircleCI would not mint an id token: ${String(answer.data).trim()}`);
      return new Secret(String(answer.data).trim(), "CircleCI id token");
    };
    const thisJob = {
      projectSlug: subject.projectSlug,
      pipelineDefinitionId: subject.pipelineDefinitionId,
      contextIds: subject.contextIds,
    };
    const jobs: Array<{ job: string; expected: ProofCase["expected"]; spec?: Job; why?: string }> = [
      { job: "this project and pipeline", expected: "accepted", spec: thisJob },
      otherProject?.pipelineDefinitions[0]
        ? {
            job: `another project (${otherProject.slug})`,
            expected: "refused",
            spec: { projectSlug: otherProject.slug, pipelineDefinitionId: otherProject.pipelineDefinitions[0].id },
          }
        : { job: "another project", expected: "refused", why: "the drill has no other project" },
      otherDefinition
        ? {
            job: `another pipeline definition ("${otherDefinition.name}")`,
            expected: "refused",
            spec: { ...thisJob, pipelineDefinitionId: otherDefinition.id },
          }
        : { job: "another pipeline definition", expected: "refused", why: `${subject.projectSlug} has no other pipeline definition` },
      { job: "an SSH re-run of this pipeline", expected: "refused", spec: { ...thisJob, sshRerun: true } },
    ];
    const cases: ProofCase[] = [];
    for (const pkg of subject.packages) {
      for (const { job, expected, spec, why } of jobs) {
        if (!spec) {
          cases.push({ package: pkg, job, expected, outcome: "not tried", detail: why ?? "" });
          continue;
        }
        const exchange = await registry.exchange(subject.registryUrl, pkg, await mint(spec), signal);
        cases.push(
          exchange.accepted
            ? { package: pkg, job, expected, outcome: "accepted" }
            : {
                package: pkg,
                job,
                expected,
                outcome: "refused",
                detail: `${exchange.status}${exchange.message ? ` ${exchange.message}` : ""}`,
              },
        );
      }
    }
    return { ok: cases.every((c) => c.outcome === c.expected || (c.outcome === "not tried" && c.expected === "refused")), cases };
  };
}

/** For the checklist and the summary: one line per package. */
export function proofLines(outcome: ProofOutcome): string[] {
  const packages = [...new Set(outcome.cases.map((c) => c.package))];
  return packages.map((pkg) => {
    const mine = outcome.cases.filter((c) => c.package === pkg);
    const wrong = mine.filter((c) => c.outcome !== c.expected && c.outcome !== "not tried");
    if (wrong.length > 0)
      return `${pkg}: ${wrong.map((c) => `${c.job} was ${c.outcome}${c.detail ? ` (${c.detail})` : ""}, expected ${c.expected}`).join("; ")}`;
    const refused = mine.filter((c) => c.expected === "refused" && c.outcome === "refused").map((c) => c.job);
    const skipped = mine.filter((c) => c.outcome === "not tried").map((c) => `${c.job} (${c.detail})`);
    return `${pkg}: a job of this project and pipeline gets a publish token; refused: ${refused.join(", ") || "none tried"}${skipped.length > 0 ? `; not tried: ${skipped.join(", ")}` : ""}`;
  });
}
