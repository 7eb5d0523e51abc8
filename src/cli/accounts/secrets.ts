/**
 * Where the CLI's secrets come from: environment variables, `<NAME>_FILE` (Docker/Kubernetes secrets, systemd
 * credentials), or the `{env}` / `{file}` references of a config file; never flags, never the config file itself.
 * Every secret read is added to the one redactor that filters everything the CLI prints.
 */
import { readFileSync } from 'node:fs';
import { Redactor } from '../../core/redact.js';
import { fileProblem, UsageError } from '../usage.js';

/** A secret and where it came from (said by `doctor`; the value itself is never printed). */
export interface Credential {
  value: string;
  from: string;
}

/** A config file's reference to a secret. */
export type SecretRef = { env: string } | { file: string };

export const env = (name: string) => {
  const v = process.env[name];
  return v && v.trim() !== '' ? v : undefined;
};

const redactor = new Redactor([]);
const secretsRead = new Map<string, Credential | undefined>();

/** The text of a secret file, trailing newline dropped; undefined when it holds only whitespace. */
function readSecretFile(path: string, what: string): string | undefined {
  try {
    const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    return value.trim() === '' ? undefined : value;
  } catch (err) {
    throw fileProblem(what, path, err);
  }
}

const remember = (key: string, read: () => Credential | undefined): Credential | undefined => {
  if (!secretsRead.has(key)) {
    const credential = read();
    redactor.add(credential?.value);
    secretsRead.set(key, credential);
  }
  return secretsRead.get(key);
};

/**
 * A secret from `NAME`, or from the file `NAME_FILE` names; not both. Read once per process: the redactor and the
 * clients ask for the same secrets.
 */
export function secretFromEnv(name: string): Credential | undefined {
  return remember(`env:${name}`, () => {
    const direct = env(name);
    const file = env(`${name}_FILE`);
    if (direct && file) throw new UsageError(`set ${name} or ${name}_FILE, not both`);
    if (!file) return direct === undefined ? undefined : { value: direct, from: `env ${name}` };
    const value = readSecretFile(file, `${name}_FILE`);
    return value === undefined ? undefined : { value, from: `file ${file} (${name}_FILE)` };
  });
}

/** The secret a config reference points to; `where` names the setting (e.g. `accounts.eu.oauthToken`) for errors. */
export function secretFromRef(ref: SecretRef, where: string): Credential {
  const key = 'env' in ref ? `env:${ref.env}` : `file:${ref.file}`;
  const credential = remember(key, () => {
    if ('env' in ref) {
      const value = env(ref.env);
      return value === undefined ? undefined : { value, from: `env ${ref.env}` };
    }
    let value: string | undefined;
    try {
      value = readSecretFile(ref.file, 'the file');
    } catch (err) {
      throw err instanceof UsageError ? new UsageError(`${where}: ${err.message}`) : err;
    }
    return value === undefined ? undefined : { value, from: `file ${ref.file}` };
  });
  if (!credential)
    throw new UsageError(
      'env' in ref
        ? `${where}: the environment variable ${ref.env} is not set (or is empty)`
        : `${where}: the file ${ref.file} is empty`,
    );
  return credential;
}

const LIVEPERSON_OAUTH1_SECRETS = [
  'LIVEPERSON_CONSUMER_KEY',
  'LIVEPERSON_CONSUMER_SECRET',
  'LIVEPERSON_TOKEN',
  'LIVEPERSON_TOKEN_SECRET',
] as const;

export { LIVEPERSON_OAUTH1_SECRETS };

const HASH_SALT = 'PRIVACY_DELETIONS_HASH_SALT';
/** The secrets the environment may hold, read up front so that even an early error message is redacted. */
const ENV_SECRET_NAMES = [
  'MIXPANEL_PROJECT_TOKEN',
  'MIXPANEL_OAUTH_TOKEN',
  'LIVEPERSON_CLIENT_SECRET',
  'LIVEPERSON_PASSWORD',
  'LIVEPERSON_BEARER',
  ...LIVEPERSON_OAUTH1_SECRETS,
  // Whoever knows the salt can test candidate ids against a hashed journal, so it is kept like a credential.
  HASH_SALT,
];

/** The salt for --hash-ids from the environment (`PRIVACY_DELETIONS_HASH_SALT` or `…_FILE`). */
export const hashSaltFromEnv = () => secretFromEnv(HASH_SALT)?.value;

/**
 * The redactor for everything the CLI prints: the environment's secrets (an unreadable file is reported where it is
 * used) and every secret read since, from the environment or through a config file.
 */
export function cliRedactor(): Redactor {
  for (const name of ENV_SECRET_NAMES) {
    try {
      secretFromEnv(name);
    } catch {
      // reported when the secret is needed
    }
  }
  return redactor;
}
