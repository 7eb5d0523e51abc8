/**
 * Text meant for a terminal. Vendor answers, journal records and input files reach the table, status lines and
 * error messages; a control character in them (ESC starting a cursor or colour sequence, BEL, a C1 CSI, a bidi
 * override) would be obeyed by the terminal, so they are shown escaped instead. JSON output is left exact.
 */

// C0 controls but newline, DEL, C1 controls, Unicode line/paragraph separators and bidirectional controls.
const UNPRINTABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character written as a visible escape (`\u001b`), newlines kept. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`);
}

/** One line of text to stdout or stderr, made printable. */
export const say = {
  out: (line: string) => process.stdout.write(`${printable(line)}\n`),
  err: (line: string) => process.stderr.write(`${printable(line)}\n`),
};
