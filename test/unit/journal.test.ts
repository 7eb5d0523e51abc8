/** The CLI journal on a real file system: torn writes, bad lines, the run lock and what --resume reads back. */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, JournalBusyError, readJournal } from '../../src/cli/journal.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-journal-'));
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
    expect([...before.final.keys()]).toEqual(['mixpanel:a']);
    expect([...before.inDoubt.keys()]).toEqual(['mixpanel:b']);

    const second = new Journal(path);
    second.write({ event: 'final', vendor: 'mixpanel', id: 'b', outcome: 'already_cancelled' });
    second.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('"event":"fin"');
    expect(text.endsWith('\n')).toBe(true);
    const after = await readJournal(path);
    expect(after.final.get('mixpanel:b')?.outcome).toBe('already_cancelled');
    expect(after.inDoubt.size).toBe(0);
  });

  it('a bad line that is not the last is an error naming its line', async () => {
    const path = freshPath();
    writeFileSync(
      path,
      '{"event":"sent","vendor":"mixpanel","id":"a"}\nnot json\n{"event":"sent","vendor":"x","id":"b"}\n',
    );
    await expect(readJournal(path)).rejects.toThrow(`journal ${path} line 2 is not valid JSON`);
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
    expect(state.accepted.has('liveperson:7')).toBe(true);
    expect(state.inDoubt.has('liveperson:7')).toBe(true);
    expect(state.final.get('liveperson:7')?.outcome).toBe('failed');
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
});
