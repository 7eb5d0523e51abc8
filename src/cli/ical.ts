/**
 * iCalendar (RFC 5545) text for `deadlines --ics`. Every value that came from a person or a vendor (ticket, reason,
 * actor, ids) is TEXT-escaped (§3.3.11: backslash, semicolon, comma, line breaks as `\n`; other control characters
 * dropped), and every content line is folded at 75 octets (§3.1) without splitting a UTF-8 character, so no value can
 * start a property or an event of its own.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

/** A TEXT value: `\\`, `\;`, `\,` and `\n` escaped, other control characters (never allowed in TEXT) removed. */
export function icsText(value: string): string {
  return value
    .replace(/[\\;,]/g, (c) => `\\${c}`)
    .replace(/\r\n|\r|\n/g, '\\n')
    .replace(CONTROL, '');
}

/** One content line folded into lines of at most 75 octets, continuations starting with a space. */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const size = Buffer.byteLength(ch, 'utf8');
    const limit = out.length === 0 ? 75 : 74; // a continuation's leading space counts
    if (octets + size > limit) {
      out.push(current);
      current = '';
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

export interface CalendarEvent {
  uid: string;
  start: number;
  durationMs: number;
  summary: string;
  description: string;
  /** A display alarm this long before the start, with its own text. */
  alarm?: { beforeMs: number; description: string };
}

const stamp = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** A whole VCALENDAR, CRLF line ends, every line escaped and folded. */
export function calendar(events: CalendarEvent[], now = Date.now()): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//privacy-deletions//deadlines//EN'];
  for (const e of events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${icsText(e.uid)}`,
      `DTSTAMP:${stamp(now)}`,
      `DTSTART:${stamp(e.start)}`,
      `DTEND:${stamp(e.start + e.durationMs)}`,
      `SUMMARY:${icsText(e.summary)}`,
      `DESCRIPTION:${icsText(e.description)}`,
    );
    if (e.alarm) {
      const hours = Math.round(e.alarm.beforeMs / 3_600_000);
      lines.push(
        'BEGIN:VALARM',
        'ACTION:DISPLAY',
        `TRIGGER:-PT${hours}H`,
        `DESCRIPTION:${icsText(e.alarm.description)}`,
        'END:VALARM',
      );
    }
    lines.push('END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}
