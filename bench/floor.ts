// The honest floor the benchmark holds rotate against: a plain script per path that does the
// work of a rotation and nothing else. It reads which token CircleCI holds, signs in with a
// one-time code in the same isolated browser rotate launches (its flags, its request guard),
// finds the old token itself, creates the scoped token, checks it live, puts it in CircleCI and
// reads it back, deletes the old one and checks it dead. No config, prompts, journal, retries or
// clean-up. The benchmark then checks the same end state it checks after rotate. Run as a child
// process, like rotate, so both pay for starting Node and Chromium:
//   node dist/bench/floor.js < job.json        (prints {"marks": {…}}: when each phase ended)
import { browserEnv, launchIsolated } from "../src/browser/launch.js";
import { heldLast4, Marks, type FloorJob } from "./floor-job.js";
import { npmApi } from "./floor-npm-api.js";
import { npmWebsite, pypiPages } from "./floor-pages.js";

async function main(): Promise<void> {
  let input = "";
  for await (const chunk of process.stdin) input += String(chunk);
  const job = JSON.parse(input) as FloorJob;
  const marks = new Marks();
  const held = await heldLast4(job);
  marks.mark("preflight");

  const session = await launchIsolated({
    browser: { executablePath: job.executablePath, source: "explicit" },
    headless: true,
    allowedOrigins: [job.websiteUrl],
    env: browserEnv(process.env),
    timeoutMs: job.stepTimeoutMs,
  });
  try {
    if (job.path === "pypi") await pypiPages(session.page, job, marks);
    else if (job.path === "npm-api") await npmApi(session.page, job, marks, held);
    else await npmWebsite(session.page, job, marks, held);
  } finally {
    await session.close();
  }
  process.stdout.write(`${JSON.stringify({ marks: marks.marks })}\n`);
}

await main();
// Done: nothing the script started matters any more (rotate exits the same way).
process.exit(0);
