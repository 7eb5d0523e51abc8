/**
 * The config file: `privacy-deletions.config.json` in the working directory, or `--config <file>`. It is checked
 * whole against the JSON Schema the package ships (schema/config.schema.json, also for editor completion) before
 * anything is sent, and every problem is named with its line. A secret written into the file is refused: the file is
 * meant to be shared and committed, so credentials are references to the environment or to files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { findNodeAtLocation, type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import schema from '../../../schema/config.schema.json' with { type: 'json' };
import { fileProblem, UsageError } from '../usage.js';
import type { SecretRef } from './secrets.js';

export const DEFAULT_CONFIG_FILE = 'privacy-deletions.config.json';

export interface MixpanelAccountSettings {
  vendor: 'mixpanel';
  description?: string;
  region?: 'us' | 'eu' | 'in';
  projectToken: SecretRef;
  oauthToken: SecretRef;
  oauthTokenIssued?: string;
  baseUrl?: string;
  rateLimit?: number;
  trailingSlash?: boolean;
}

export type LivePersonAuthSettings =
  | { clientCredentials: { clientId: SecretRef; clientSecret: SecretRef } }
  | { login: { username: SecretRef; password: SecretRef } }
  | { bearer: SecretRef }
  | { oauth1: { consumerKey: SecretRef; consumerSecret: SecretRef; token: SecretRef; tokenSecret: SecretRef } };

export interface LivePersonAccountSettings {
  vendor: 'liveperson';
  description?: string;
  siteId: string;
  auth: LivePersonAuthSettings;
  domain?: string;
  baseUrl?: string;
  sentinelBaseUrl?: string;
  loginBaseUrl?: string;
  monthlyQuota?: number;
  quotaLedger?: string;
  cancelWindowDays?: number;
}

export type AccountSettings = MixpanelAccountSettings | LivePersonAccountSettings;

export interface ConfigFile {
  path: string;
  accounts: Map<string, AccountSettings>;
}

/** The config file to use: `--config`, else the default name in the working directory if it exists. */
export function findConfigFile(flag: string | undefined): string | undefined {
  if (flag !== undefined) return resolve(flag);
  const local = resolve(DEFAULT_CONFIG_FILE);
  return existsSync(local) ? local : undefined;
}

const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/** `accounts.eu.oauthToken` from Ajv's `/accounts/eu/oauthToken` (JSON Pointer). */
const pointerSegments = (pointer: string) =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));

const INLINE_SECRET =
  'a secret written into the config file would reach everyone who can read it, its backups and its commits; ' +
  'give { "env": "NAME" } (an environment variable) or { "file": "/path" } (a file holding it) instead';

/** One schema problem in words a person fixing the file understands. */
function describe(error: ErrorObject, value: unknown): string {
  const p = error.params as Record<string, unknown>;
  if (error.schemaPath.startsWith('#/definitions/secretRef') && typeof value === 'string') return INLINE_SECRET;
  switch (error.keyword) {
    case 'required':
      return `missing "${p.missingProperty}"`;
    case 'additionalProperties':
      return `unknown setting "${p.additionalProperty}"`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'propertyNames':
      return 'account names are letters, digits, ".", "_" and "-" (up to 64, starting with a letter or digit)';
    case 'minProperties':
    case 'maxProperties':
      return error.schemaPath.includes('secretRef')
        ? 'give exactly one of "env" or "file"'
        : error.instancePath.endsWith('/auth')
          ? 'give exactly one of "clientCredentials", "login", "bearer" or "oauth1"'
          : (error.message ?? error.keyword);
    default:
      return error.message ?? error.keyword;
  }
}

let validator: ReturnType<Ajv['compile']> | undefined;

/** Reads and checks a config file; a UsageError lists every problem with its line. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fileProblem('the config file', path, err);
  }
  const parseErrors: ParseError[] = [];
  const tree = parseTree(text, parseErrors, { disallowComments: true, allowTrailingComma: false });
  if (parseErrors.length || !tree) {
    const first = parseErrors[0];
    const where = first ? `:${lineAt(text, first.offset)}` : '';
    throw new UsageError(
      `${path}${where}: not valid JSON (${first ? printParseErrorCode(first.error) : 'empty file'})`,
    );
  }
  const data: unknown = JSON.parse(text);
  validator ??= new Ajv({ allErrors: true, strict: true }).compile(schema);
  if (!validator(data)) {
    const problems: { line: number; text: string }[] = [];
    for (const error of validator.errors ?? []) {
      // `if` is explained by its `then` errors; a name's own pattern error by the `propertyNames` one
      if (error.keyword === 'if' || error.propertyName !== undefined) continue;
      const segments = pointerSegments(error.instancePath);
      let node: Node | undefined = findNodeAtLocation(tree, segments);
      let value: unknown = node ? JSON.parse(text.slice(node.offset, node.offset + node.length)) : undefined;
      if (error.keyword === 'additionalProperties') {
        const extra = (error.params as { additionalProperty: string }).additionalProperty;
        node = findNodeAtLocation(tree, [...segments, extra])?.parent ?? node;
        value = undefined;
      } else if (error.keyword === 'propertyNames') {
        const name = (error.params as { propertyName: string }).propertyName;
        node = findNodeAtLocation(tree, [...segments, name])?.parent ?? node;
        segments.push(name);
      }
      const setting = segments.length ? segments.join('.') : '(top level)';
      const line = node ? lineAt(text, node.offset) : 0;
      problems.push({ line, text: `${path}${line ? `:${line}` : ''}: ${setting}: ${describe(error, value)}` });
    }
    const list = [...new Set(problems.sort((a, b) => a.line - b.line).map((p) => p.text))];
    throw new UsageError(`the config file has ${list.length} problem(s); nothing was sent:\n  ${list.join('\n  ')}`);
  }
  const accounts = new Map(Object.entries((data as { accounts: Record<string, AccountSettings> }).accounts));
  return { path, accounts };
}
