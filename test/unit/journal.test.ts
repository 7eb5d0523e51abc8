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
