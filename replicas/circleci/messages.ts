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

// API v3 answers errors as `{"error": {type, id, title, detail}}` (docs/sites/circleci.md, "API v3
// for contexts"); the title is the HTTP status text, as CircleCI's CLI fake has it. The details
// below are the CLI fake's where it has one, else inferred.
export const V3_DETAILS = {
  orgRequired: "filter[org_id] is required", // CircleCI's CLI fake
  nameRequired: "filter[name] is required", // CircleCI's CLI fake
  badOrgId: "filter[org_id] must be a UUID", // inferred
  badLimit: "page[limit] must be between 1 and 250", // inferred text; the bounds and the 400 are the CLI's and the guide's
  forbidden: "Forbidden", // CircleCI's CLI fake: a token that cannot see the organization
  notFound: "not found", // CircleCI's CLI fake
  // Inferred: v3 documents Bearer and Circle-Token only.
  basicAuth: "Use a Bearer token in the Authorization header, or the Circle-Token header.",
} as const;

/** `type` of a v3 error, by status (inferred: the guide shows only "validation_error"). */
export const V3_ERROR_TYPES: Record<number, string> = {
  400: "validation_error",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  429: "rate_limited",
};
