/**
 * Redaction of credentials. A Redactor knows the secrets of one client and scrubs them from any string or value;
 * URLs additionally lose their `token` query parameter and OAuth parameters, whatever their value.
 */
const REDACTED = '[REDACTED]';
const SENSITIVE_QUERY_PARAMS = /^(token|access_token|oauth_[a-z_]+|signature|sig|api_key|apikey|secret)$/i;
const AUTH_HEADER_VALUE = /\b(Bearer|Basic|OAuth)\s+[^\r\n]+/gi;

export class Redactor {
  readonly #secrets: string[] = [];

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const s of secrets) this.add(s);
  }

  /** Registers a value that must never be shown. Also registers its URL- and percent-encoded forms. */
  add(secret: string | undefined): void {
    if (!secret || secret.length < 4) return;
    for (const form of new Set([secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+')])) {
      if (!this.#secrets.includes(form)) this.#secrets.push(form);
    }
    // longest first so a secret containing another is replaced whole
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  string(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join(REDACTED);
    return out.replace(AUTH_HEADER_VALUE, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  }

  url(url: string | URL): string {
    let parsed: URL;
    try {
      parsed = new URL(String(url));
    } catch {
      return this.string(String(url));
    }
    for (const key of [...parsed.searchParams.keys()]) {
      if (SENSITIVE_QUERY_PARAMS.test(key)) parsed.searchParams.set(key, REDACTED);
    }
    parsed.username = '';
    parsed.password = '';
    return this.string(parsed.toString().replace(/%5BREDACTED%5D/g, REDACTED));
  }

  /** Deep copy of a JSON-like value with every string scrubbed. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.string(value);
    if (value === null || typeof value !== 'object' || depth > 20) return value;
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        /authorization|token|secret|signature|password/i.test(k) && typeof v === 'string'
          ? REDACTED
          : this.value(v, depth + 1);
    }
    return out;
  }
}
