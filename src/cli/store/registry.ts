/**
 * The CLI's request registry: `$XDG_STATE_HOME/privacy-deletions/registry.db` (~/.local/state when unset), or
 * `--registry <file>`, with subject digests salted by PRIVACY_DELETIONS_HASH_SALT (or …_FILE), the salt the journal's
 * --hash-ids uses. Opening problems are usage errors, before anything is sent.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { openRegistry, type RequestStore } from '../../registry/index.js';
import { osUser } from '../../registry/sqlite.js';
import { hashSaltFromEnv } from '../accounts/secrets.js';
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
    throw new UsageError(`cannot open the registry ${path}: ${(err as Error).message}`);
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
