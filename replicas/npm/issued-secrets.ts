// Every secret value the npm replica hands out (session tokens, granular tokens, web and
// e-mailed one-time codes, OIDC exchange tokens), so a test's secrecy scan knows all of them without sniffing the
// tool's own requests.
export class IssuedSecrets {
  private readonly values = new Set<string>();

  record(value: string): string {
    this.values.add(value);
    return value;
  }

  all(): string[] {
    return [...this.values];
  }
}
