import { describe, expect, it } from 'vitest';
import { renderTemplate } from './render-template.js';

describe('email template rendering', () => {
  it('reads only own data, never the members every object inherits', () => {
    const variables = { name: 'Jo', lead: { firstName: 'Jo' } };
    for (const member of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      for (const path of [member, `lead.${member}`, `name.${member}`]) {
        expect(renderTemplate(`Subject {{${path}}}!`, variables)).toBe('Subject !');
        expect(renderTemplate(`<p>{{ ${path} }}</p>`, variables, true)).toBe('<p></p>');
      }
    }
    expect(renderTemplate('Hi {{name}} {{lead.firstName}}', variables)).toBe('Hi Jo Jo');
  });

  it('renders a variable that is an own property even when its name is a built-in one', () => {
    expect(
      renderTemplate('{{toString}}', JSON.parse('{"toString":"custom"}') as Record<string, unknown>),
    ).toBe('custom');
  });
});
