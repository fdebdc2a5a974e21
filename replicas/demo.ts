// The drill world's made-up project (no secrets here: those are random per start).
export const DEMO = {
  projectSlug: "gh/demo-org/widget",
  /** A second project of the organization that publishes with the same tokens (the docs site, say). */
  otherProjectSlug: "gh/demo-org/widget-docs",
  context: "demo-publishing",
  organization: { name: "demo-org", slug: "gh/demo-org", id: "6f1d2c3e-8a7b-4c5d-9e0f-1a2b3c4d5e6f" },
  circleciUser: { id: "0b9a8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", login: "drill-responder", name: "Drill Responder" },
} as const;
