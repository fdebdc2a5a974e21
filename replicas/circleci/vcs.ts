// Project and organization slugs: which VCS a slug names, how it is looked up, and the
// repository URL and OIDC origin that follow from it (docs/sites/circleci.md, "Project slugs").

export interface Vcs {
  /** `vcs_info.provider` in GET /project/{slug}. */
  provider: "GitHub" | "Bitbucket" | "CircleCI";
  /** `vcs-type` in GET /me/collaborations. */
  vcsType: string;
  /** `config_source.provider` of a pipeline definition. Inferred: only github_app, github_server and circleci are seen. */
  definitionProvider: string;
  /** Default `vcs_info.vcs_url` of a project of this VCS. */
  repoUrl(org: string, repo: string): string;
}

const VCS: Record<string, Vcs> = {
  gh: {
    provider: "GitHub",
    vcsType: "github",
    definitionProvider: "github_app",
    repoUrl: (org, repo) => `https://github.com/${org}/${repo}`,
  },
  bb: {
    provider: "Bitbucket",
    vcsType: "bitbucket",
    definitionProvider: "bitbucket_cloud",
    repoUrl: (org, repo) => `https://bitbucket.org/${org}/${repo}`,
  },
  // Inferred: GitHub App and GitLab slugs carry ids, not names; seed `vcsUrl` for a real repository URL.
  circleci: {
    provider: "CircleCI",
    vcsType: "circleci",
    definitionProvider: "github_app",
    repoUrl: (org, project) => `https://github.com/${org}/${project}`,
  },
};
const VCS_ALIASES: Record<string, string> = { github: "gh", bitbucket: "bb" };

/** Lookup key of a project or org slug: case-insensitive (inferred) with `github`/`bitbucket` shortened. */
export function slugKey(slug: string): string {
  const [vcs = "", ...rest] = slug.toLowerCase().split("/");
  return [VCS_ALIASES[vcs] ?? vcs, ...rest].join("/");
}

export function vcsOf(slug: string): Vcs {
  const vcs = VCS[slugKey(slug).split("/")[0] ?? ""];
  if (!vcs) throw new Error(`circleci replica: unknown vcs in slug ${slug}`);
  return vcs;
}

/** `oidc.circleci.com/vcs-origin`: the repository URL without scheme, e.g. `github.com/acme/widget`. */
export function vcsOriginOf(vcsUrl: string): string {
  return vcsUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/+$/, "");
}
