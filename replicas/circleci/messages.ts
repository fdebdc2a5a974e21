// Every `message` the replica answers with, each with where it comes from (docs/sites/circleci.md).
export const MESSAGES = {
  loginRequired: "You must log in first.", // "Authentication", observed on the live API
  // "Authentication": the spec's example for query-parameter auth.
  queryAuth:
    "Support for query parameter authentication has been deprecated to improve security. Please use a supported authentication method such as header-based, or basic authentication.",
  projectNotFound: "Project not found", // "Errors": the live API's text, without a trailing dot
  contextNotFound: "Context not found.", // "Errors": the spec's example on the restrictions endpoint
  // Inferred: no text is documented for an owner the token cannot see; this is the spec's 404 org example.
  organizationNotFound: "Organization does not exist.",
  // Inferred: the status is expected to be 404 ("Project environment variables"), the text is unknown.
  envVarNotFound: "Environment variable not found.",
  permissionDenied: "Permission denied.", // "Errors": the spec's default 403
  // Inferred: no text is documented for a malformed body; this is the spec's default 400 on newer endpoints.
  badBody: "Unexpected request body provided.",
  // Inferred: the live text is unknown; this states the documented name rule.
  badName: "Invalid environment variable name: use letters, digits and underscores, not starting with a digit.",
  valueTooLong: "Environment variable value is too long.", // inferred
  badPageToken: "Invalid page token.", // inferred
  ownerRequired: "Either owner-id or owner-slug is required.", // inferred
  unknownRoute: "Not found.", // inferred
  internal: "Internal server error.", // "Errors": the spec's default 500
  projectVarDeleted: "Deleted.", // "Project environment variables": as CircleCI's own CLI fake answers
  contextVarDeleted: "Environment variable deleted.", // inferred
} as const;
