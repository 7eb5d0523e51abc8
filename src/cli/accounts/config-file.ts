/**
 * The config file: `privacy-deletions.config.json` in the working directory, or `--config <file>`. It is checked
 * whole against the JSON Schema the package ships (schema/config.schema.json, also for editor completion) before
 * anything is sent, and every problem is named with its line. A secret written into the file is refused: the file is
 * meant to be shared and committed, so credentials are references to the environment or to files.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { findNodeAtLocation, type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import schema from '../../../schema/config.schema.json' with { type: 'json' };
import { FILE_LIMITS, readBoundedFile } from '../files.js';
import { UsageError } from '../usage.js';
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
  /** Hosts besides the vendors' own that the accounts' URLs may name. */
  allowHosts?: string[] | undefined;
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

/**
 * Refuses a config file that someone else could have written, as ssh treats its own: it decides where credentials
 * go and which secrets are read, so one that others may write (group or world) or that belongs to another user than
 * this one or root could redirect them.
 */
function checkOwnership(path: string, mode: number, uid: number): void {
  const me = process.getuid?.();
  if (me === undefined) return; // no owners to compare (Windows)
  if (uid !== me && uid !== 0)
    throw new UsageError(
      `the config file ${path} belongs to user ${uid}, not to you (${me}) or root; refusing to read it: it decides where credentials are sent`,
    );
  if ((mode & 0o022) !== 0)
    throw new UsageError(
      `the config file ${path} can be written by ${mode & 0o002 ? 'anyone' : 'its group'} (mode ${mode.toString(8).padStart(3, '0')}); refusing to read it: it decides where credentials are sent (chmod go-w ${path})`,
    );
}

/** Deeper than this, a config file is not one (a hand-made file nests 5 levels); checked without recursion. */
const MAX_NESTING = 32;

/** The line where nesting first passes MAX_NESTING, or undefined. Strings are skipped, escapes included. */
function tooDeepAt(text: string): number | undefined {
  let depth = 0;
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > MAX_NESTING) return line;
    } else if (c === '}' || c === ']') depth--;
  }
  return undefined;
}

/** Each key given twice in one object, with both lines (JSON.parse would keep the last one silently). */
function duplicateKeys(tree: Node, text: string, path: string): string[] {
  const problems: string[] = [];
  const walk = (node: Node, at: string[]) => {
    if (node.type === 'object') {
      const seen = new Map<string, number>();
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? [];
        if (!key) continue;
        const name = String(key.value);
        const line = lineAt(text, key.offset);
        const first = seen.get(name);
        if (first !== undefined)
          problems.push(
            `${path}:${line}: ${[...at, name].join('.')}: given twice (lines ${first} and ${line}); keep one`,
          );
        else seen.set(name, line);
        if (value) walk(value, [...at, name]);
      }
    } else if (node.type === 'array')
      for (const [i, child] of (node.children ?? []).entries()) walk(child, [...at, String(i)]);
  };
  walk(tree, []);
  return problems;
}

/** Reads and checks a config file; a UsageError lists every problem with its line. */
export function readConfigFile(path: string): ConfigFile {
  const file = readBoundedFile(path, 'the config file', FILE_LIMITS.config);
  checkOwnership(path, file.mode, file.uid);
  // A UTF-8 byte-order mark (Windows editors write one) is not part of the JSON.
  const text = file.text.replace(/^\uFEFF/, '');
  const deep = tooDeepAt(text);
  if (deep !== undefined)
    throw new UsageError(
      `${path}:${deep}: nested deeper than ${MAX_NESTING} levels; a config file is not (nothing was sent)`,
    );
  const parseErrors: ParseError[] = [];
  const tree = parseTree(text, parseErrors, { disallowComments: true, allowTrailingComma: false });
  if (parseErrors.length || !tree) {
    const first = parseErrors[0];
    const where = first ? `:${lineAt(text, first.offset)}` : '';
    throw new UsageError(
      `${path}${where}: not valid JSON (${first ? printParseErrorCode(first.error) : 'empty file'})`,
    );
  }
  const duplicates = duplicateKeys(tree, text, path);
  if (duplicates.length)
    throw new UsageError(
      `the config file has ${duplicates.length} problem(s); nothing was sent:\n  ${duplicates.join('\n  ')}`,
    );
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
  const config = data as { accounts: Record<string, AccountSettings>; allowHosts?: string[] };
  return { path, accounts: new Map(Object.entries(config.accounts)), allowHosts: config.allowHosts };
}
