/** The first pass over a bulk input file: problems by line, and repeated requests found exactly. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readInput, validateInput } from '../../src/cli/input.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validateInput', () => {
  it('finds exactly the repeated requests among 20,000 lines (bucket collisions are checked, not trusted)', async () => {
    const ids = Array.from({ length: 20_000 }, () => randomUUID());
    const lines = ids.map((id, i) => (i % 2 ? `liveperson,${1_000_000 + i}` : `mixpanel,${id}`));
    // three repeats: same vendor and id (vendor case and spacing do not matter); one same id at the other vendor
    lines.push(`mixpanel,${ids[0]}`, `MIXPANEL, ${ids[0]}`, 'liveperson,1000001', `liveperson,${1_000_000 + 2}`);
    const path = join(dir, 'repeats.csv');
    writeFileSync(path, lines.join('\n'));
    const check = await validateInput(path);
    expect(check.invalid).toBe(0);
    expect(check.distinct).toBe(20_001);
    expect([...check.repeats]).toEqual([
      [20_001, 1],
      [20_002, 1],
      [20_003, 2],
    ]);
    expect([...check.vendors].sort()).toEqual(['liveperson', 'mixpanel']);
  });

  it('without repeats keeps no keys; problems are kept for the first 50 lines and counted after', async () => {
    const lines = Array.from({ length: 120 }, (_, i) => (i % 2 ? `liveperson,not-a-number-${i}` : `mixpanel,t-${i}`));
    const path = join(dir, 'problems.csv');
    writeFileSync(path, lines.join('\n'));
    const check = await validateInput(path);
    expect(check.invalid).toBe(60);
    expect(check.problems).toHaveLength(50);
    expect(check.problems[0]).toMatchObject({ line: 2 });
    expect(check.problems[0]?.message).toMatch(/requestId must be a number/);
    expect(check.repeats.size).toBe(0);
    expect(check.distinct).toBe(60);
  });

  /** A file's bytes, and what readInput yields for it, line by line. */
  const cases: { why: string; file: string; bytes: string | Buffer; yields: unknown[] }[] = [
    {
      why: "Excel's UTF-8 CSV: byte-order mark, CRLF, quoted cells, a header in any case; semicolons and tabs named",
      file: 'excel.csv',
      bytes: '\ufeffVendor,Request_ID\r\n"mixpanel","abc-1"\r\nmixpanel;abc-2\r\nliveperson\t77\r\n',
      yields: [
        { line: 2, vendor: 'mixpanel', requestId: 'abc-1', account: 'mixpanel' },
        {
          line: 3,
          message: expect.stringMatching(
            /got 1 \(the line is separated by semicolons: save the file as comma-separated/,
          ),
        },
        { line: 4, message: expect.stringMatching(/got 1 \(the line is separated by tabs/) },
      ],
    },
    {
      why: 'RFC 4180 quoting (csv-parse): commas and doubled quotes inside quoted cells; a quoting mistake is one problem on its own line and every other line is still read',
      file: 'quoted.csv',
      bytes:
        'mixpanel,"a,b"\n "mixpanel" , "x""y" \n  \n# comment\nmixpanel,a"b\nliveperson,12\nmixpanel,"ab"c\n' +
        'liveperson,13\nmixpanel,"spans\nlines",\nliveperson,14\n',
      yields: [
        { line: 1, vendor: 'mixpanel', requestId: 'a,b', account: 'mixpanel' },
        { line: 2, vendor: 'mixpanel', requestId: 'x"y', account: 'mixpanel' },
        { line: 5, message: expect.stringMatching(/^not valid CSV: a quote inside an unquoted cell; quote the whole/) },
        { line: 6, vendor: 'liveperson', requestId: '12', account: 'liveperson' },
        {
          line: 7,
          message: expect.stringMatching(/^not valid CSV: text follows a closing quote before the next comma/),
        },
        { line: 8, vendor: 'liveperson', requestId: '13', account: 'liveperson' },
        { line: 9, message: 'not valid CSV: a quote is never closed (a request id cannot span lines)' },
        { line: 10, message: expect.stringMatching(/^not valid CSV: a quote inside an unquoted cell/) },
        { line: 11, vendor: 'liveperson', requestId: '14', account: 'liveperson' },
      ],
    },
    {
      why: 'a header row naming vendor and request id lets the file carry other columns (ticket, reason, …)',
      file: 'columns.csv',
      bytes:
        'ticket,Vendor,Request ID,reason\nT-1,mixpanel,abc-1,"duplicate, filed twice"\nT-2,liveperson,77,legal hold\n' +
        'T-3,mixpanel,abc-3\nticket,vendor,request_id,reason\nvendor,request_id\n',
      yields: [
        { line: 2, vendor: 'mixpanel', requestId: 'abc-1', account: 'mixpanel' },
        { line: 3, vendor: 'liveperson', requestId: '77', account: 'liveperson' },
        { line: 4, message: 'expected 4 comma-separated fields as in the header on line 1, got 3' },
        { line: 6, message: 'a header with other columns than the header on line 1' },
      ],
    },
    {
      why: 'more columns without a header: the message says how to have them',
      file: 'extra.csv',
      bytes: 'mixpanel,abc-1,legal hold\n',
      yields: [
        {
          line: 1,
          message:
            'expected 2 comma-separated fields (vendor,request_id), got 3 (for more columns, start the file with a header row naming vendor and request_id)',
        },
      ],
    },
    {
      why: 'Excel\'s "Unicode Text" export is UTF-16: one problem that says so, not a garbled message per line',
      file: 'unicode.txt',
      bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('mixpanel\tabc-1\r\n', 'utf16le')]),
      yields: [{ line: 1, message: expect.stringMatching(/^the file is UTF-16 encoded; save it as UTF-8/) }],
    },
    {
      why: 'a JSON array export instead of JSON Lines',
      file: 'export.json',
      bytes: '[{"vendor":"mixpanel","requestId":"x"}]\n',
      yields: [{ line: 1, message: expect.stringMatching(/must be JSON Lines.*not a JSON array/) }],
    },
    {
      why: 'broken JSON on one line',
      file: 'broken.jsonl',
      bytes: '{"vendor":"mixpanel","requestId":"ok"}\n{"vendor":"mixpanel","requestId":"x"\n',
      yields: [
        { line: 1, vendor: 'mixpanel', requestId: 'ok', account: 'mixpanel' },
        { line: 2, message: expect.stringMatching(/^not valid JSON \(.+\); the file must be JSON Lines/) },
      ],
    },
  ];

  it.each(cases)('spreadsheet and export mistakes are named on their line: $why', async ({ file, bytes, yields }) => {
    const path = join(dir, file);
    writeFileSync(path, bytes);
    const out = [];
    for await (const x of readInput(path)) out.push(x);
    expect(out).toEqual(yields);
  });
});
