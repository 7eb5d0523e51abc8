/**
 * Claims as the CLI takes them: its holder names the host, the process and the run (`host pid 123 run 1a2b3c4d`), so
 * a claim left by a process that died on this host (SIGKILL, a crash) is taken over at once instead of blocking the
 * next run until its lease runs out; one held by a live process, or by another host, is respected.
 */
import { hostname } from 'node:os';
import type { ClaimResult, RequestStore } from '../../store/request-store.js';

/** This run's name in the claims it takes. */
export const claimHolder = (runId: string) => `${hostname()} pid ${process.pid} run ${runId.slice(0, 8)}`;

/** Whether a holder is a process on this host that no longer runs. */
function deadHere(holder: string): boolean {
  const m = /^(.*) pid (\d+) run \S+$/.exec(holder);
  if (!m || m[1] !== hostname()) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Claims a request, taking over a claim whose holder died here. */
export async function claimRequest(
  store: RequestStore,
  request: { vendor: string; account: string; requestId: string },
  holder: string,
  leaseMs: number,
): Promise<ClaimResult> {
  const { vendor, account, requestId } = request;
  const first = await store.claim(vendor, account, requestId, holder, leaseMs);
  if (first.taken || !deadHere(first.holder)) return first;
  return store.claim(vendor, account, requestId, holder, leaseMs, first.holder);
}
