import { inflateSync } from 'node:zlib';

/**
 * The text a PDF shows, line by line, enough to assert on pdfkit's output: each content stream
 * (inflated when it is Flate-compressed), its `[…] TJ` text arrays' hex strings decoded as WinAnsi
 * (pdfkit's standard fonts). Not a general PDF parser.
 */
export function pdfText(pdf: Buffer): string {
  const source = pdf.toString('latin1');
  const lines: string[] = [];
  const starts = /stream\r?\n/g;
  let match: RegExpExecArray | null;
  while ((match = starts.exec(source))) {
    const start = match.index + match[0].length;
    const end = source.indexOf('endstream', start);
    if (end < 0) break;
    const raw = pdf.subarray(start, end);
    let content: string;
    try {
      content = inflateSync(raw).toString('latin1');
    } catch {
      content = raw.toString('latin1');
    }
    for (const array of content.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      const pieces = [...array[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((hex) =>
        Buffer.from(hex[1]!, 'hex').toString('latin1'),
      );
      lines.push(pieces.join(''));
    }
    starts.lastIndex = end;
  }
  return lines.join('\n');
}
