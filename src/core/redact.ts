/**
 * Redaction of credentials. A Redactor knows the secrets of one client and scrubs them from any string or value;
 * URLs additionally lose their `token` query parameter and OAuth parameters, whatever their value. Beyond the known
 * secrets, only credential-shaped text is removed (a token after Bearer/Basic, OAuth 1.0 parameters, JWTs,
 * `token=…` pairs), so a vendor's own words ("OAuth token expired or revoked") survive.
 */
const REDACTED = '[REDACTED]';
/** What replaces structure nested deeper than MAX_DEPTH: never returned unredacted. */
export const TOO_DEEP = '[REDACTED: nested deeper than 20 levels]';
const MAX_DEPTH = 20;
const SENSITIVE_QUERY_PARAMS = /^(token|access_token|oauth_[a-z_]+|signature|sig|api_key|apikey|secret)$/i;
/** The token after an HTTP auth scheme; replaced only when it looks like a credential (see `credentialShaped`). */
const AUTH_SCHEME_TOKEN = /\b(Bearer|Basic)(\s+)([A-Za-z0-9\-._~+/]+=*)/gi;
/** OAuth 1.0 parameters, as in an `Authorization: OAuth …` header or a signed query string. */
const OAUTH_PARAM = /\b(oauth_[a-z_]+)=("[^"]*"|[^&\s,"']+)/gi;
/** Key-value pairs whose value is a credential, as in a query string or a log line. */
const SECRET_PAIR =
  /\b(access_token|refresh_token|client_secret|id_token|token|password|secret|api_key|apikey)=([^&\s"',]+)/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/**
 * Field names whose string value is a credential wherever it appears (a token endpoint's `access_token`, the Login
 * Service's `bearer`, `csrf` and `wsuk`, cookies, passwords, keys): replaced whole. `doctor` also registers such
 * values before it records anything, so the same value is scrubbed from any other text too.
 */
const SECRET_FIELD =
  /authorization|token|secret|signature|password|passwd|bearer|csrf|wsuk|cookie|api_?key|credential/i;

/** Whether a field of this name holds a credential. */
export const isSecretField = (name: string) => SECRET_FIELD.test(name);

/** A word after Bearer/Basic is a credential unless it reads like prose: short, and only letters. */
const credentialShaped = (token: string) => token.length >= 20 || (token.length >= 6 && /[^A-Za-z]/.test(token));

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
    return out
      .replace(JWT, REDACTED)
      .replace(AUTH_SCHEME_TOKEN, (m, scheme: string, space: string, token: string) =>
        token !== REDACTED && credentialShaped(token) ? `${scheme}${space}${REDACTED}` : m,
      )
      .replace(OAUTH_PARAM, (_m, key: string, v: string) => `${key}=${v.startsWith('"') ? `"${REDACTED}"` : REDACTED}`)
      .replace(SECRET_PAIR, (_m, key: string) => `${key}=${REDACTED}`);
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

  /**
   * Deep copy of a JSON-like value with every string scrubbed, keys too. Structure nested deeper than 20 levels is
   * replaced by a marker rather than returned as it came.
   */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.string(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth >= MAX_DEPTH) return TOO_DEEP;
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[this.string(k)] = isSecretField(k) && typeof v === 'string' ? REDACTED : this.value(v, depth + 1);
    }
    return out;
  }
}
