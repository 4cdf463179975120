import { escapeHtml } from './render-template.js';

/**
 * The parts of an email written in place (final text, not a template): the plain-text body
 * as text and as simple HTML paragraphs, each ending with the recipient's unsubscribe link.
 */
export function inlineContent(subject: string, body: string, unsubscribeUrl: string) {
  const paragraphs = body
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\r?\n/g, '<br>')}</p>`);
  const link = escapeHtml(unsubscribeUrl);
  return {
    subject,
    text: `${body}\n\n--\nUnsubscribe: ${unsubscribeUrl}\n`,
    html: `${paragraphs.join('\n')}\n<p style="font-size:12px;color:#666"><a href="${link}">Unsubscribe</a></p>`,
  };
}
