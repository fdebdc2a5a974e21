// An upload as twine sends one (multipart, Basic `__token__`), with a distribution's metadata and
// file, so it reaches the upload's permission check: the token's signature and caveats against the
// project. The replica stops right after that check; pypi.org would go on to publish.
export interface UploadAnswer {
  status: number;
  /** Warehouse puts its message in the reason phrase. */
  reason: string;
}

export async function upload(uploadUrl: string, token: string, project: string): Promise<UploadAnswer> {
  const form = new FormData();
  const fields = { ":action": "file_upload", protocol_version: "1", metadata_version: "2.1", name: project, version: "1.0.0" };
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append("filetype", "sdist");
  form.append("pyversion", "source");
  form.append("content", new Blob([Buffer.from("not really a tarball")]), `${project}-1.0.0.tar.gz`);
  const response = await fetch(uploadUrl, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`__token__:${token}`).toString("base64")}` },
    body: form,
  });
  return { status: response.status, reason: response.statusText };
}

/** What the replica answers an upload whose token passed the permission check. */
export const ACCEPTED = {
  status: 400,
  reason: "This replica checks an upload's token and stops there: the token may upload to this project, and nothing was published.",
};
