import { absent, ownValueAt } from './template-lookup.js';

const placeholder = /\{\{\s*([\w.]+)\s*\}\}/g;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Replaces `{{ name }}` / `{{ lead.firstName }}`; a missing variable renders empty. */
export function renderTemplate(template: string, variables: Record<string, unknown>, html = false): string {
  return template.replace(placeholder, (_match, path: string) => {
    const value = ownValueAt(variables, path.split('.'));
    const text = value === absent || value === undefined || value === null ? '' : String(value);
    return html ? escapeHtml(text) : text;
  });
}

/** The variable names a template uses, for the API to show. */
export function templateVariables(...templates: (string | null)[]): string[] {
  const names = new Set<string>();
  for (const template of templates)
    for (const match of (template ?? '').matchAll(placeholder)) names.add(match[1]!);
  return [...names].sort();
}
