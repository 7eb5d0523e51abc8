/**
 * The CLI's request registry: `$XDG_STATE_HOME/privacy-deletions/registry.db` (~/.local/state when unset), or
 * `--registry <file>`, with subject digests salted by PRIVACY_DELETIONS_HASH_SALT (or …_FILE), the salt the journal's
 * --hash-ids uses. Opening problems are usage errors, before anything is sent.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { osUser } from '../../store/actor.js';
import type { RequestStore } from '../../store/request-store.js';
import { openRegistry } from '../../store/sqlite.js';
import { hashSaltFromEnv } from '../accounts/secrets.js';
import { say } from '../terminal.js';
import { UsageError } from '../usage.js';

export function defaultRegistryPath(): string {
  const state = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'privacy-deletions', 'registry.db');
}

export const NEEDS_SALT =
  'the registry keeps subject ids as salted digests: set PRIVACY_DELETIONS_HASH_SALT (or PRIVACY_DELETIONS_HASH_SALT_FILE)';

/** The registry for this command, or a UsageError saying what is missing. */
export function cliRegistry(o: Record<string, unknown>): { store: RequestStore; path: string } {
  const path = (o.registry as string | undefined) ?? defaultRegistryPath();
  const salt = hashSaltFromEnv();
  if (!salt) throw new UsageError(NEEDS_SALT);
  try {
    return { store: openRegistry(path, { salt, plainSubjects: Boolean(o.registryPlainSubjects) }), path };
  } catch (err) {
    throw new UsageError(`cannot open the registry ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The registry, for a command that does not need one but learns facts about requests it may hold (a cancel by id or
 * from a file, a status read): `--registry`, or the default file when it exists. The store is what the next command
 * trusts, so what this one learns is written there too. Without the salt the registry cannot be opened: said once.
 */
export function knownRegistry(o: Record<string, unknown>): { store: RequestStore; path: string } | undefined {
  if (o.registry === undefined && !existsSync(defaultRegistryPath())) return undefined;
  const path = (o.registry as string | undefined) ?? defaultRegistryPath();
  // the command does its job either way; what it cannot record is said, never silently dropped
  const notRecorded = (why: string) =>
    say.err(`note: what this command learns is not recorded in the registry ${path}: ${why}`);
  if (!hashSaltFromEnv()) {
    notRecorded(NEEDS_SALT);
    return undefined;
  }
  try {
    return cliRegistry(o);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    notRecorded((err.cause as Error | undefined)?.message ?? err.message);
    return undefined;
  }
}

/** Who is acting: --actor, else the OS user. */
export const actorOf = (o: Record<string, unknown>) => (o.actor as string | undefined) ?? osUser();

/**
 * What a cancel outcome (or a status read's cancel-window state, which uses the same words) means for a registered
 * request: no longer open once cancelled, or once past its window or unknown to the vendor.
 */
export const REGISTRY_STATE: Partial<Record<string, 'cancelled' | 'final'>> = {
  cancelled: 'cancelled',
  already_cancelled: 'cancelled',
  too_late: 'final',
  not_found: 'final',
};
