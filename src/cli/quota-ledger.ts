/**
 * The CLI's LivePerson quota ledger: a small JSON file (`{"<site>:<yyyy-mm>": count}`), so the monthly count of
 * creates lasts between runs. Default place: $XDG_STATE_HOME/privacy-deletions/ (~/.local/state when unset).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { QuotaLedger } from '../liveperson/quota.js';

export function defaultQuotaLedgerPath(): string {
  const state = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'privacy-deletions', 'liveperson-quota.json');
}

export class FileQuotaLedger implements QuotaLedger {
  constructor(readonly path: string) {}

  #read(): Record<string, number> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    try {
      return JSON.parse(text) as Record<string, number>;
    } catch {
      throw new Error(`the LivePerson quota ledger ${this.path} is not valid JSON; fix or remove it`);
    }
  }

  get(key: string): number {
    const n = this.#read()[key];
    return typeof n === 'number' && Number.isFinite(n) ? n : 0;
  }

  /** Written to a temporary file and renamed over the ledger, so a crash never leaves half a file. */
  set(key: string, count: number): void {
    const all = { ...this.#read(), [key]: count };
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
