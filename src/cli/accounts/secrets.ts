/**
 * Where the CLI's secrets come from: environment variables, `<NAME>_FILE` (Docker/Kubernetes secrets, systemd
 * credentials), or the `{env}` / `{file}` references of a config file; never flags, never the config file itself.
 * Every secret read is added to the one redactor that filters everything the CLI prints.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redactor } from '../../core/redact.js';
import { FILE_LIMITS, readBoundedFile } from '../files.js';
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

// biome-ignore lint/suspicious/noControlCharactersInRegex: a secret holding control characters is refused
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * The text of a secret file, trailing newline dropped; undefined when it holds only whitespace. A secret is one line
 * of printable text in a regular file of at most 16 KiB: anything else (a private key, a pipe, /proc/self/environ, a
 * device) is refused before it could be sent as a credential. A file others may read is warned about.
 */
function readSecretFile(path: string, what: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    throw fileProblem(what, path, err);
  }
  if (/^\/(proc|sys|dev)(\/|$)/.test(real))
    throw new UsageError(`${what} ${path} is a ${real.split('/')[1]} file, not a file holding a secret`);
  const { text, mode } = readBoundedFile(path, what, FILE_LIMITS.secret);
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') return undefined;
  if (CONTROL.test(value))
    throw new UsageError(
      `${what} ${path} holds ${/[\r\n]/.test(value) ? 'more than one line' : 'control characters'}; a secret file holds one token, key or password on one line${/-----BEGIN /.test(value) ? ' (this looks like a PEM private key)' : ''}`,
    );
  if ((mode & 0o044) !== 0)
    process.stderr.write(
      `warning: the secret file ${path} can be read by ${mode & 0o004 ? 'anyone' : 'its group'} (mode ${mode.toString(8).padStart(3, '0')}); chmod go-r ${path}\n`,
    );
  return value;
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

/**
 * The secret a config reference points to; `where` names the setting (e.g. `accounts.eu.oauthToken`) for errors. A
 * relative `{file}` is read from `baseDir`, the config file's folder, not from wherever the command was started.
 */
export function secretFromRef(ref: SecretRef, where: string, baseDir: string): Credential {
  const file = 'file' in ref ? resolve(baseDir, ref.file) : undefined;
  const key = 'env' in ref ? `env:${ref.env}` : `file:${file}`;
  const credential = remember(key, () => {
    if ('env' in ref) {
      const value = env(ref.env);
      return value === undefined ? undefined : { value, from: `env ${ref.env}` };
    }
    let value: string | undefined;
    try {
      value = readSecretFile(file as string, 'the file');
    } catch (err) {
      throw err instanceof UsageError ? new UsageError(`${where}: ${err.message}`) : err;
    }
    return value === undefined ? undefined : { value, from: `file ${file}` };
  });
  if (!credential)
    throw new UsageError(
      'env' in ref
        ? `${where}: the environment variable ${ref.env} is not set (or is empty)`
        : `${where}: the file ${file} is empty`,
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
