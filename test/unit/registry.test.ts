/** The SQLite request registry: digests only, found by subject, ordered by deadline, safe under two writers and a crash. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/registry/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Every entry of an async iterable, in order (Array.fromAsync needs Node 22). */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
const DIST_REGISTRY = resolve(import.meta.dirname, '../../dist/src/registry/index.js');
const SALT = 'registry-test-salt';
let n = 0;
const fresh = () => join(dir, `r${n++}.db`);
const lp = (requestId: string, subjects: string[], requestedAt = '2026-12-01T10:00:00Z') => ({
  vendor: 'liveperson' as const,
  account: 'lp',
  requestId,
  requestedAt,
  idType: 'consumer',
  subjects,
});

describe('request registry', () => {
  it('keeps subjects as salted digests, finds requests by subject with how many of theirs matched, orders by deadline', async () => {
    const path = fresh();
    const r = openRegistry(path, { salt: SALT });
    await r.register(lp('1', ['jane@example.com', 'joe@example.com'], '2026-12-01T10:00:00Z'), {
      actor: 'dpo',
      reason: 'withdrawn',
      ticket: 'T-1',
    });
    await r.register(lp('2', ['jane@example.com'], '2026-11-30T10:00:00Z'), {
      actor: 'dpo',
      cancelWindowMs: 86_400_000,
    });
    await r.register(
      {
        vendor: 'mixpanel',
        account: 'mp',
        requestId: 'task-a',
        requestedAt: '2026-12-02T00:00:00Z',
        idType: 'distinct_id',
        subjects: ['jane@example.com', 'x', 'y'],
      },
      { actor: 'cron' },
    );
    await r.register(lp('1', ['jane@example.com']), { actor: 'again' }); // the same request again: kept once
    const found = await r.holding(['jane@example.com']);
    expect(found.map((f) => [f.request.requestId, f.matched, f.request.subjectCount])).toEqual([
      ['2', 1, 1], // its window closes first (a one-day window)
      ['1', 1, 2],
      ['task-a', 1, 3], // Mixpanel: no clock, last
    ]);
    expect(found[1]?.request).toMatchObject({
      reason: 'withdrawn',
      ticket: 'T-1',
      actor: 'dpo',
      windowClosesAt: '2026-12-06T10:00:00.000Z',
    });
    expect((await r.open()).map((q) => q.requestId)).toEqual(['2', '1', 'task-a']);
    // the streamed deadline list: the same order, what a deadline list shows, nothing it does not have
    expect(await collect(r.deadlines())).toEqual([
      expect.objectContaining({ requestId: '2', windowClosesAt: '2026-12-01T10:00:00.000Z', subjectCount: 1 }),
      {
        vendor: 'liveperson',
        account: 'lp',
        requestId: '1',
        requestedAt: '2026-12-01T10:00:00Z',
        subjectCount: 2,
        ticket: 'T-1',
        actor: 'dpo',
        windowClosesAt: '2026-12-06T10:00:00.000Z',
      },
      expect.not.objectContaining({ windowClosesAt: expect.anything() }),
    ]);
    await r.update('liveperson', 'lp', '2', { state: 'cancelled', vendorStatus: 'CANCELED' });
    expect((await r.open()).map((q) => q.requestId)).toEqual(['1', 'task-a']);
    await r.update('liveperson', 'lp', '1', { vendorStatus: 'PENDING' });
    expect((await collect(r.deadlines())).map((q) => [q.requestId, q.vendorStatus, typeof q.statusReadAt])).toEqual([
      ['1', 'PENDING', 'string'],
      ['task-a', undefined, 'undefined'],
    ]);
    expect(await r.get('liveperson', 'lp', '2')).toMatchObject({ state: 'cancelled', vendorStatus: 'CANCELED' });
    expect(await r.holds('liveperson', 'lp', '1', 'joe@example.com')).toBe(true);
    await r.close();
    const bytes = [readFileSync(path), readFileSync(`${path}-wal`, { flag: 'a+' })]
      .map((b) => b.toString('latin1'))
      .join('');
    expect(bytes).not.toContain('jane@example.com');
    expect(bytes).not.toContain('joe@example.com');
  });

  it('refuses another salt (it would find nobody), and plain subjects only when asked', async () => {
    const path = fresh();
    await openRegistry(path, { salt: SALT }).close();
    expect(() => openRegistry(path, { salt: 'other' })).toThrow(/digests with another salt/);
    const plain = openRegistry(fresh(), { salt: SALT, plainSubjects: true });
    await plain.register(lp('9', ['visible@example.com']), { actor: 'x' });
    expect(await plain.holding(['visible@example.com'])).toHaveLength(1);
    // only a plain registry can give the ids back (for --split when the vendor's record does not list them)
    expect(await plain.subjectsOf('liveperson', 'lp', '9')).toEqual(['visible@example.com']);
    expect(await plain.subjectsOf('liveperson', 'lp', 'unknown')).toBeUndefined();
    await plain.close();
    const digests = openRegistry(path, { salt: SALT });
    await digests.register(lp('9', ['hidden@example.com']), { actor: 'x' });
    expect(await digests.subjectsOf('liveperson', 'lp', '9')).toBeUndefined();
    await digests.close();
  });

  it('two processes writing at once lose nothing', async () => {
    const path = fresh();
    await openRegistry(path, { salt: SALT }).close();
    const writer = (tag: string) =>
      new Promise<number | null>((res) => {
        const code = `
          const { openRegistry } = await import(${JSON.stringify(DIST_REGISTRY)});
          const r = openRegistry(${JSON.stringify(path)}, { salt: ${JSON.stringify(SALT)} });
          for (let i = 0; i < 300; i++)
            await r.register({ vendor: 'liveperson', account: 'lp', requestId: '${tag}' + i, requestedAt: new Date().toISOString(),
              idType: 'consumer', subjects: ['s-${tag}-' + i, 'shared'] }, { actor: '${tag}' });
          await r.close();`;
        spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'inherit' }).on('close', res);
      });
    expect(await Promise.all([writer('a'), writer('b')])).toEqual([0, 0]);
    const r = openRegistry(path, { salt: SALT });
    expect(await r.open()).toHaveLength(600);
    expect(await r.holding(['shared'])).toHaveLength(600);
    await r.close();
  }, 60_000);

  it('a writer killed mid-run leaves every request whole (all its subjects, or not there at all)', async () => {
    const path = fresh();
    await openRegistry(path, { salt: SALT }).close();
    const code = `
      const { openRegistry } = await import(${JSON.stringify(DIST_REGISTRY)});
      const r = openRegistry(${JSON.stringify(path)}, { salt: 'registry-test-salt' });
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++)
        await r.registerMany(Array.from({ length: 50 }, (_, j) => [{ vendor: 'mixpanel', account: 'mp', requestId: i + '-' + j,
          requestedAt: new Date().toISOString(), idType: 'distinct_id', subjects: ['p' + j, 'q' + j, 'all'] }, { actor: 'k' }]));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((r) => child.stdout.once('data', r));
    await new Promise((r) => setTimeout(r, 400));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const r = openRegistry(path, { salt: SALT });
    const open = await r.open();
    expect(open.length % 50).toBe(0); // whole imports only
    expect(open.length).toBeGreaterThan(0);
    expect(await r.holding(['all'])).toHaveLength(open.length);
    expect((await r.holding(['p0', 'q0'])).every((h) => h.matched === 2)).toBe(true);
    await r.close();
  }, 30_000);
});
