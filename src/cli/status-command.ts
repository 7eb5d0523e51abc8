/** `privacy-deletions status`: the current vendor status of each request. */
import { clientPool, cliRedactor } from './clients.js';
import { prepareItems } from './items.js';
import { flagsOf } from './options.js';
import { describeFailure } from './output.js';

/**
 * `privacy-deletions status`: reads each request's current vendor status. A request whose read fails is reported on
 * its own line and the rest go on (exit 1); rate limits are the SDK's, as for cancel.
 */
export async function statusCommand(ids: string[], o: Record<string, unknown>): Promise<number> {
  const redactor = cliRedactor();
  const prepared = await prepareItems(ids, o);
  if (typeof prepared === 'number') return prepared;
  const clients = clientPool({ ...flagsOf(o), cancelWindowMs: (o.cancelWindowDays as number) * 86_400_000 });
  for (const v of prepared.vendorsUsed) clients.for(v);
  let failed = 0;
  for await (const { line, vendor, requestId } of prepared.source()) {
    const at = line === undefined ? {} : { line };
    try {
      const { status, record, cancellableUntil } = await clients.readStatus(vendor, requestId);
      const until = cancellableUntil ? { cancellableUntil } : {};
      process.stdout.write(
        o.json
          ? `${JSON.stringify({ ...at, vendor, requestId, status, ...until, result: record })}\n`
          : `${vendor} ${requestId} ${status}${cancellableUntil ? ` (cancellable until about ${cancellableUntil}, ${timeLeft(cancellableUntil)})` : ''}\n`,
      );
    } catch (err) {
      failed++;
      const failure = describeFailure(err, redactor);
      process.stdout.write(
        o.json
          ? `${JSON.stringify({ ...at, vendor, requestId, ...failure })}\n`
          : `${vendor} ${requestId} ERROR ${failure.error}: ${failure.detail}\n`,
      );
    }
  }
  if (failed) process.stderr.write(`${failed} status read(s) failed\n`);
  return failed ? 1 : 0;
}

/** "in 4 d 3 h", "in 45 min" or "passed": how long is left to cancel. */
function timeLeft(iso: string): string {
  const ms = Date.parse(iso) - Date.now();
  if (ms <= 0) return 'passed';
  const h = Math.floor(ms / 3_600_000);
  return h >= 24 ? `in ${Math.floor(h / 24)} d ${h % 24} h` : h >= 1 ? `in ${h} h` : `in ${Math.ceil(ms / 60_000)} min`;
}
