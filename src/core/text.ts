// Text from outside kobe (a kill switch someone wrote, a broker's message) reaches operators'
// terminals: control characters are shown escaped, so `\r\x1b[2KACTIVE` cannot erase "HALTED".

/** `s` with C0/C1 control characters and DEL replaced by visible escapes (\n, \t kept as escapes too). */
export function escapeControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
