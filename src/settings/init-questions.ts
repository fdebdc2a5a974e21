// What `rotate init` asks for a registry: the settings a real run cannot do without, each with
// what rotate can find in the project itself (package.json, pyproject.toml) as the proposal.
export interface InitQuestion {
  /** The setting it answers: a key of the registry's settings section. */
  key: string;
  message: string;
  /** Said before the question: what the choice means. */
  note?: string;
  /** The answers to pick from, when there is a fixed set; the first is the default. */
  choices?: Array<{ name: string; value: string }>;
  /** A value found in the project, proposed as the default answer. */
  detect?(cwd: string): Promise<string | undefined>;
  /** Proposed when nothing is detected (PyPI's expiry: 90 days, as npm's write tokens). */
  proposal?: string;
  /** An empty answer leaves the setting unset. */
  optional?: boolean;
}
