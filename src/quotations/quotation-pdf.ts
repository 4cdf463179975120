import PDFDocument from 'pdfkit';
import type { Quotation, QuotationVersion } from './quotation.schemas.js';

/** Digits after the decimal point of `currency` (2 for EUR, 0 for JPY, 3 for KWD), as Intl knows them. */
export function minorDigits(currency: string): number {
  return (
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

/**
 * An amount in minor units as text with its currency code (`EUR 1,234.56`): the decimal string is
 * built in integers and handed to Intl as a string, so no float rounding creeps in.
 */
export function formatMinor(amount: number, currency: string): string {
  const digits = minorDigits(currency);
  const units = BigInt(amount);
  const scale = 10n ** BigInt(digits);
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  const whole = magnitude / scale;
  const fraction = digits > 0 ? `.${(magnitude % scale).toString().padStart(digits, '0')}` : '';
  const decimal = `${negative ? '-' : ''}${whole}${fraction}`;
  const format = new Intl.NumberFormat('en', {
    style: 'currency',
    currency,
    currencyDisplay: 'code',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  // Intl formats a decimal string exactly (no conversion to a float).
  return format.format(decimal as unknown as number).replace(/\u00a0/g, ' ');
}

const percent = (value: number) => `${value}%`;

export interface QuotationDocument {
  tenantName: string;
  dealTitle: string;
  quotation: Pick<Quotation, 'ref' | 'currency' | 'expiresAt' | 'status'>;
  version: QuotationVersion;
}

/**
 * The quotation rendered as a PDF (pdfkit, standard Helvetica: Latin text): the tenant's name, the
 * quotation's reference and version, the deal, the line table, the totals, the payment split and
 * the expiry. `compress: false` leaves the content streams readable (tests).
 */
export function renderQuotationPdf(
  doc: QuotationDocument,
  options: { compress?: boolean } = {},
): Promise<Buffer> {
  const { quotation, version } = doc;
  const money = (amount: number) => formatMinor(amount, quotation.currency);
  const pdf = new PDFDocument({
    size: 'A4',
    margin: 48,
    compress: options.compress ?? true,
    info: { Title: `Quotation ${quotation.ref} v${version.version}`, Author: doc.tenantName },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  pdf.font('Helvetica-Bold').fontSize(18).text(doc.tenantName);
  pdf.moveDown(0.5);
  pdf.fontSize(14).text(`Quotation ${quotation.ref} (version ${version.version})`);
  pdf.font('Helvetica').fontSize(10);
  pdf.text(`Deal: ${doc.dealTitle}`);
  pdf.text(`Date: ${version.updatedAt.toISOString().slice(0, 10)}`);
  pdf.text(
    `Valid until: ${quotation.expiresAt ? quotation.expiresAt.toISOString().slice(0, 10) : 'no expiry'}`,
  );
  pdf.moveDown();

  const columns = [
    { title: 'Item', x: 48, width: 170, align: 'left' as const },
    { title: 'Qty', x: 218, width: 40, align: 'right' as const },
    { title: 'Unit price', x: 258, width: 80, align: 'right' as const },
    { title: 'Disc.', x: 338, width: 45, align: 'right' as const },
    { title: 'Tax', x: 383, width: 45, align: 'right' as const },
    { title: 'Total', x: 428, width: 119, align: 'right' as const },
  ];
  const row = (cells: string[], bold = false) => {
    const y = pdf.y;
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    let bottom = y;
    cells.forEach((cell, i) => {
      const column = columns[i]!;
      pdf.text(cell, column.x, y, { width: column.width, align: column.align });
      bottom = Math.max(bottom, pdf.y);
    });
    pdf.x = 48;
    pdf.y = bottom + 4;
    if (pdf.y > pdf.page.height - 120) pdf.addPage();
  };
  row(
    columns.map((column) => column.title),
    true,
  );
  for (const line of version.lines) {
    row([
      line.sku ? `${line.name} (${line.sku})` : line.name,
      String(line.quantity),
      money(line.unitPrice),
      percent(line.discountPercent),
      percent(line.taxPercent),
      money(line.total),
    ]);
  }
  pdf.moveDown();
  const totals: [string, string][] = [
    ['Subtotal', money(version.subtotal)],
    ['Discount', `-${money(version.discountTotal)}`],
    ['Tax', money(version.taxTotal)],
    ['Total', money(version.total)],
  ];
  for (const [label, value] of totals) row(['', '', '', '', label, value], label === 'Total');
  pdf.moveDown();
  pdf.font('Helvetica-Bold').text('Payment', 48);
  pdf.font('Helvetica');
  const type = { prepaid: 'Prepaid', cod: 'Cash on delivery', partial: 'Partly prepaid' }[
    version.payment.type
  ];
  pdf.text(
    `${type}: prepaid ${money(version.payment.prepaidAmount)}, on delivery ${money(version.payment.codAmount)}`,
  );
  if (version.notes) {
    pdf.moveDown();
    pdf.font('Helvetica-Bold').text('Notes');
    pdf.font('Helvetica').text(version.notes);
  }
  if (version.terms) {
    pdf.moveDown();
    pdf.font('Helvetica-Bold').text('Terms');
    pdf.font('Helvetica').text(version.terms);
  }
  pdf.end();
  return done;
}
