/** The CLI journal on a real file system: torn writes, bad lines, the run lock and what --resume reads back. */
import { execFile, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Journal,
  JournalBusyError,
  JournalFileError,
  JournalFormatError,
  readJournal,
} from '../../src/cli/store/journal.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `journal-${++n}.jsonl`);

describe('journal', () => {
  it('a torn last line is ignored when read and cut off before the next run appends', async () => {
    const path = freshPath();
    const first = new Journal(path);
    first.write({ event: 'sent', vendor: 'mixpanel', id: 'a' });
    first.write({ event: 'final', vendor: 'mixpanel', id: 'a', outcome: 'cancelled' });
    first.write({ event: 'sent', vendor: 'mixpanel', id: 'b' });
    first.close();
    appendFileSync(path, '{"at":"2026-11-22T10:00:00.000Z","event":"fin'); // killed mid-write

    const before = await readJournal(path);
    expect([...before.final.keys()]).toEqual(['mixpanel:mixpanel:a']);
    expect([...before.inDoubt.keys()]).toEqual(['mixpanel:mixpanel:b']);

    const second = new Journal(path);
    second.write({ event: 'final', vendor: 'mixpanel', id: 'b', outcome: 'already_cancelled' });
    second.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('"event":"fin"');
    expect(text.endsWith('\n')).toBe(true);
    const after = await readJournal(path);
    expect(after.final.get('mixpanel:mixpanel:b')?.outcome).toBe('already_cancelled');
    expect(after.inDoubt.size).toBe(0);
  });

  it('a bad line that is not the last is an error naming its line', async () => {
    const path = freshPath();
    const j = new Journal(path);
    j.write({ event: 'sent', vendor: 'mixpanel', id: 'a' });
    j.close();
    appendFileSync(path, 'not json\n{"event":"sent","vendor":"x","id":"b"}\n');
    await expect(readJournal(path)).rejects.toThrow(`journal ${path} line 2: not valid JSON`);
  });

  it('remembers accepted cancels and runs, and keeps the latest final per request', async () => {
    const path = freshPath();
    const j = new Journal(path);
    j.writeRun('run-start', { runId: 'r1', requests: 1 });
    j.write({ event: 'sent', vendor: 'liveperson', id: '7' });
    j.write({ event: 'final', vendor: 'liveperson', id: '7', outcome: 'failed', error: 'ServerError' });
    j.writeRun('run-end', { runId: 'r1', finished: 1 });
    j.writeRun('run-start', { runId: 'r2', requests: 1 });
    j.write({ event: 'sent', vendor: 'liveperson', id: '7' });
    j.write({ event: 'accepted', vendor: 'liveperson', id: '7' });
    j.close();
    const state = await readJournal(path);
    expect([...state.runs.keys()]).toEqual(['r1', 'r2']);
    expect(state.runs.get('r1')?.end).toMatchObject({ finished: 1 });
    expect(state.runs.get('r2')?.end).toBeUndefined(); // r2 died
    expect(state.accepted.has('liveperson:liveperson:7')).toBe(true);
    expect(state.inDoubt.has('liveperson:liveperson:7')).toBe(true);
    expect(state.final.get('liveperson:liveperson:7')?.outcome).toBe('failed');
  });

  it('every record is chained to the one before: intact across reopening and a torn tail; edits, removals and insertions are found', async () => {
    const path = freshPath();
    const first = new Journal(path);
    first.write({ event: 'sent', vendor: 'mixpanel', id: 'a' });
    first.write({ event: 'final', vendor: 'mixpanel', id: 'a', outcome: 'cancelled' });
    first.close();
    appendFileSync(path, '{"at":"2026-11-22T10:00:00.000Z","event":"se'); // killed mid-write
    const second = new Journal(path);
    second.write({ event: 'sent', vendor: 'mixpanel', id: 'b' });
    second.write({ event: 'final', vendor: 'mixpanel', id: 'b', outcome: 'too_late' });
    second.close();
    const original = readFileSync(path, 'utf8');
    const lines = original.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    const { integrity } = await readJournal(path);
    expect(integrity).toEqual({ records: 4, head: second.head });

    const rewrite = async (edit: (ls: string[]) => string[]) => {
      writeFileSync(path, `${edit([...lines]).join('\n')}\n`);
      return (await readJournal(path)).integrity.brokenAtLine;
    };
    // an id changed: the line after it no longer follows it
    expect(await rewrite((ls) => ls.map((l) => l.replace('"id":"b"', '"id":"c"')))).toBe(4);
    // the last line has no successor: only the head digest kept outside the journal shows it was changed
    expect(await rewrite((ls) => ls.map((l) => l.replace('"too_late"', '"cancelled"')))).toBeUndefined();
    expect((await readJournal(path)).integrity.head).not.toBe(second.head);
    expect(await rewrite((ls) => ls.filter((_, i) => i !== 1))).toBe(2); // a final removed
    expect(await rewrite((ls) => [ls[0] as string, ls[1] as string, ls[1] as string, ...ls.slice(2)])).toBe(3); // copied in
    expect(await rewrite((ls) => ls.slice(1))).toBe(1); // the beginning cut off
    writeFileSync(path, original);
    expect((await readJournal(path)).integrity.brokenAtLine).toBeUndefined();
  });

  it('one run at a time: a lock held by a live process refuses, one left by a dead process is taken over', () => {
    const path = freshPath();
    writeFileSync(`${path}.lock`, String(process.ppid)); // a live process that is not us
    expect(() => new Journal(path)).toThrow(JournalBusyError);
    expect(() => new Journal(path)).toThrow(`is in use by process ${process.ppid}`);
    writeFileSync(`${path}.lock`, '999999999'); // no such process
    const j = new Journal(path);
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(String(process.pid));
    j.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('a null, an array or a record without its fields is a JournalFormatError naming the line', async () => {
    for (const bad of ['null', '[]', '42', '{"event":"final","at":"2026-12-01T00:00:00Z"}', '{"event":"nope"}']) {
      const path = freshPath();
      const j = new Journal(path);
      j.write({ event: 'sent', vendor: 'mixpanel', id: 'a' });
      j.close();
      appendFileSync(path, `${bad}\n`);
      const err = await readJournal(path).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(JournalFormatError);
      expect((err as Error).message).toMatch(new RegExp(`^journal ${path} line 2: `));
    }
  });
});

describe('journal files that must not be written to', () => {
  const victim = (text = 'precious data, last line without newline') => {
    const path = join(dir, `victim-${++n}.txt`);
    writeFileSync(path, text, { mode: 0o644 });
    return path;
  };

  it('a symlink (even to a journal) is refused; its target is left exactly as it was, lock released', () => {
    const target = victim();
    const link = freshPath();
    symlinkSync(target, link);
    expect(() => new Journal(link)).toThrow(JournalFileError);
    expect(() => new Journal(link)).toThrow(/is a symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('precious data, last line without newline');
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(existsSync(`${link}.lock`)).toBe(false);
  });

  it('an existing file that is not a journal is refused and left alone', () => {
    for (const text of ['precious data\nmore', '{"not":"a journal"}\n', 'null\n']) {
      const path = victim(text);
      expect(() => new Journal(path)).toThrow(/is not a journal \(its first line is not a journal record\)/);
      expect(readFileSync(path, 'utf8')).toBe(text);
    }
  });

  it('a folder or a device is refused', () => {
    const folder = join(dir, `folder-${++n}`);
    mkdirSync(folder);
    expect(() => new Journal(folder)).toThrow(/EISDIR|not a regular file/);
    expect(() => new Journal('/dev/null')).toThrow(/not a regular file|EACCES|EPERM/);
  });

  it('an existing journal others can read is made owner-only', () => {
    const path = freshPath();
    new Journal(path).close();
    chmodSync(path, 0o644);
    const j = new Journal(path);
    expect(j.madePrivateFrom).toBe(0o644);
    j.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe('the journal lock under two runs started at the same instant', () => {
  const journalModule = resolve(import.meta.dirname, '../../dist/src/cli/store/journal.js');
  /** One process: waits for `startAt`, takes the lock, holds it 150 ms; prints when it held it, or that it was refused. */
  const contender = `
    import { Journal } from ${JSON.stringify(journalModule)};
    const [path, startAt] = process.argv.slice(1);
    const now = () => performance.timeOrigin + performance.now();
    while (now() < Number(startAt)) {}
    let j;
    try { j = new Journal(path); } catch (e) { console.log(JSON.stringify({ refused: e.name })); process.exit(0); }
    const got = now();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
    const released = now();
    j.close();
    console.log(JSON.stringify({ got, released }));`;
  const run = (path: string, startAt: number) =>
    new Promise<{ got?: number; released?: number; refused?: string }>((res, rej) =>
      execFile(process.execPath, ['--input-type=module', '-e', contender, path, String(startAt)], (err, stdout) =>
        err ? rej(err) : res(JSON.parse(stdout)),
      ),
    );

  it.each([
    ['no lock before', false],
    ['a stale lock left by a dead process', true],
  ])(
    'never both hold it (%s), 60 rounds',
    async (_name, stale) => {
      const deadPid = spawnSync('true').pid;
      let bothProceeded = 0;
      let refused = 0;
      for (let batch = 0; batch < 12; batch++) {
        await Promise.all(
          Array.from({ length: 5 }, async () => {
            const path = freshPath();
            if (stale) writeFileSync(`${path}.lock`, String(deadPid));
            // far enough ahead that both processes are up under load (CI runs other test files beside this one)
            const startAt = Date.now() + 1200;
            const [a, b] = await Promise.all([run(path, startAt), run(path, startAt)]);
            if (a?.refused || b?.refused) refused++;
            // both held it: fine only one after the other (the second started after the first let go)
            if (a?.got && b?.got && a.got < (b.released as number) && b.got < (a.released as number)) bothProceeded++;
            expect(existsSync(`${path}.lock`)).toBe(false);
          }),
        );
      }
      expect(bothProceeded).toBe(0);
      expect(refused).toBeGreaterThan(45); // started together, the second nearly always finds the first holding it
    },
    60_000,
  );
});
