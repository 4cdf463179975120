import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { createMigratedTestDatabase, type TestDatabase } from '../testing/test-database.js';

/**
 * The documentation test: every request example of README.md (the ```sh blocks) runs as written,
 * in order, against a started server, with `sk_live_…` and `$PLATFORM_ADMIN_TOKEN` replaced by the
 * real key and token. Each must succeed (2xx, or exit 0 for `pnpm tenant`), and where README shows
 * the answer (`# → [status] {json}`, `…` standing for anything) the answer must have that shape.
 */

const root = join(import.meta.dirname, '../..');
/** Another README to check (e.g. an older one, to see this test fail on it): README_EXAMPLES_FILE. */
const readmePath = process.env.README_EXAMPLES_FILE ?? join(root, 'README.md');

/** A command of a shell block, split into words as the shell would, with README's answer if shown. */
interface ShellCommand {
  words: string[];
  /** The text after `# →` on the line after the command. */
  expected?: string;
  /** The command as written (for failure messages). */
  source: string;
}

/** The bodies of the ```sh blocks of a Markdown document, in order. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((match) => match[1]!);
}

/**
 * Splits a block into commands: quotes ('…' literal, "…" with `$VAR` and `\` escapes), line
 * continuations, comments, `&&` and `;`. Pipes, redirections and command substitution are
 * refused: an example that needs them is not a request this test can run.
 */
function shellCommands(block: string, env: Record<string, string | undefined>): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let word: string | undefined;
  let start = 0;
  let i = 0;
  const expand = (): string => {
    const match = /^\$(?:\{(\w+)\}|(\w+))/.exec(block.slice(i));
    if (!match) throw new Error(`Unsupported $ in: ${block.slice(i, i + 40)}`);
    const name = match[1] ?? match[2]!;
    const value = env[name];
    if (value === undefined) throw new Error(`README example uses $${name}, which the test does not set`);
    i += match[0].length;
    return value;
  };
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = (end: number) => {
    endWord();
    if (words.length) commands.push({ words, source: block.slice(start, end).trim() });
    words = [];
    start = end;
  };
  while (i < block.length) {
    const c = block[i]!;
    if (c === '\\' && block[i + 1] === '\n') {
      i += 2;
    } else if (c === '\\') {
      word = (word ?? '') + block[i + 1];
      i += 2;
    } else if (c === "'") {
      const close = block.indexOf("'", i + 1);
      if (close < 0) throw new Error(`Unclosed ' in: ${block.slice(i, i + 40)}`);
      word = (word ?? '') + block.slice(i + 1, close);
      i = close + 1;
    } else if (c === '"') {
      word ??= '';
      i++;
      while (block[i] !== '"') {
        if (i >= block.length) throw new Error('Unclosed "');
        if (block[i] === '\\' && '"\\$`'.includes(block[i + 1]!)) {
          word += block[i + 1];
          i += 2;
        } else if (block[i] === '$') word += expand();
        else if (block[i] === '`') throw new Error('Command substitution is not supported');
        else word += block[i++];
      }
      i++;
    } else if (c === '$') {
      if (block[i + 1] === '(') throw new Error('Command substitution is not supported');
      word = (word ?? '') + expand();
    } else if (c === '#' && word === undefined) {
      const end = block.indexOf('\n', i);
      const comment = block.slice(i + 1, end < 0 ? undefined : end).trim();
      const answer = /^→\s*(.*)$/.exec(comment);
      // An answer line directly after a command belongs to it.
      if (answer && !words.length && commands.length && block.slice(start, i).trim() === '') {
        commands.at(-1)!.expected ??= answer[1];
      }
      i = end < 0 ? block.length : end;
      start = i;
    } else if (c === '\n' || c === ';') {
      endCommand(i);
      i++;
    } else if (c === '&' && block[i + 1] === '&') {
      endCommand(i);
      i += 2;
      start = i;
    } else if ('|<>`&'.includes(c)) {
      throw new Error(`Unsupported shell syntax "${c}" in: ${block.slice(start, i + 20).trim()}`);
    } else if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  endCommand(block.length);
  return commands;
}

interface CurlRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body?: string;
}

/** The request a curl command line sends (the flags README uses; any other flag is refused). */
function parseCurl(args: string[]): CurlRequest {
  let method: string | undefined;
  let get = false;
  let url: string | undefined;
  const headers: [string, string][] = [];
  const data: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`curl ${arg} needs a value`);
      return next;
    };
    if (arg === '-X' || arg === '--request') method = value();
    else if (arg === '-H' || arg === '--header') {
      const header = value();
      const colon = header.indexOf(':');
      if (colon < 1) throw new Error(`Not a header: ${header}`);
      headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
    } else if (arg === '-G' || arg === '--get') get = true;
    else if (arg === '-d' || arg === '--data' || arg === '--data-raw' || arg === '--data-binary') {
      const body = value();
      if (body.startsWith('@') && arg !== '--data-raw')
        throw new Error(`curl ${arg} ${body} reads a file: not runnable as written`);
      data.push(body);
    } else if (arg === '--data-urlencode') {
      const field = value();
      const eq = field.indexOf('=');
      data.push(
        eq < 0
          ? encodeURIComponent(field)
          : `${field.slice(0, eq)}=${encodeURIComponent(field.slice(eq + 1))}`,
      );
    } else if (arg === '-s' || arg === '--silent' || arg === '-sS' || arg === '-S') continue;
    else if (arg.startsWith('-')) throw new Error(`curl flag ${arg} is not supported by the README test`);
    else if (url === undefined) url = arg;
    else throw new Error(`A second URL: ${arg}`);
  }
  if (!url) throw new Error('curl without a URL');
  if (!/^https?:\/\//.test(url)) url = `http://${url}`;
  if (get) {
    if (data.length) url += (url.includes('?') ? '&' : '?') + data.join('&');
    return { method: method ?? 'GET', url, headers };
  }
  const body = data.length ? data.join('&') : undefined;
  if (body !== undefined && !headers.some(([name]) => name.toLowerCase() === 'content-type'))
    headers.push(['content-type', 'application/x-www-form-urlencoded']);
  return { method: method ?? (body === undefined ? 'GET' : 'POST'), url, headers, body };
}

/** The leading JSON value of `text` (README follows it with remarks). */
function leadingJson(text: string): string {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (--depth === 0) return text.slice(0, i + 1);
    }
  }
  throw new Error(`No complete JSON in README's answer: ${text}`);
}

/**
 * README's shown answer as a status (when written) and a shape for `toMatchObject`: objects may
 * have more keys (`,…` says so), `…` in a string stands for any text.
 */
function expectedAnswer(text: string): { status?: number; shape?: unknown } {
  const match = /^(\d{3})?\s*(.*)$/s.exec(text.trim())!;
  const status = match[1] ? Number(match[1]) : undefined;
  if (!match[2]!.startsWith('{')) return { status };
  const json = leadingJson(match[2]!).replace(/,\s*…\s*(?=[}\]])/g, '');
  const shapeOf = (value: unknown): unknown => {
    if (typeof value === 'string' && value.includes('…')) {
      const pattern = value
        .split('…')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      return expect.stringMatching(new RegExp(`^${pattern}$`, 's'));
    }
    if (Array.isArray(value)) return value.map(shapeOf);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shapeOf(item)]));
    return value;
  };
  return { status, shape: shapeOf(JSON.parse(json)) };
}

/** Commands of the set-up instructions: they install, start or test this repository, no request. */
const setupCommands = [/^npm i(nstall)? -g pnpm@/, /^pnpm install$/, /^pnpm start$/, /^pnpm test$/];

const run = promisify(execFile);

describe('README shell examples: parsing', () => {
  it('splits words, quotes, continuations and comments as a shell does; attaches shown answers', () => {
    const commands = shellCommands(
      `a 'x y' "b $T" \\\n  -d '{"k":\n "v"}' # note\n# → 201 {"a":"…","b":1,…}   (remark)\nb && c\n`,
      { T: 'tok' },
    );
    expect(commands.map((command) => command.words)).toEqual([
      ['a', 'x y', 'b tok', '-d', '{"k":\n "v"}'],
      ['b'],
      ['c'],
    ]);
    expect(commands[0]!.expected).toBe('201 {"a":"…","b":1,…}   (remark)');
    expect(expectedAnswer(commands[0]!.expected!).status).toBe(201);
    expect({ a: 'anything', b: 1, c: 2 }).toMatchObject(expectedAnswer(commands[0]!.expected!).shape!);
    expect(() => shellCommands('a | b', {})).toThrow(/Unsupported/);
    expect(() => shellCommands('a "$UNSET"', {})).toThrow(/UNSET/);
  });

  it('reads curl flags: -X, -H, -G with --data-urlencode, -d; refuses what it cannot send', () => {
    expect(
      parseCurl(['-G', 'localhost:3000/x', '-H', 'a: b', '--data-urlencode', 'q=a b&c', '-d', 'n=1']),
    ).toEqual({ method: 'GET', url: 'http://localhost:3000/x?q=a%20b%26c&n=1', headers: [['a', 'b']] });
    expect(
      parseCurl(['-X', 'PUT', 'localhost:3000/y', '-H', 'content-type: application/json', '-d', '{}']),
    ).toEqual({
      method: 'PUT',
      url: 'http://localhost:3000/y',
      headers: [['content-type', 'application/json']],
      body: '{}',
    });
    expect(() => parseCurl(['localhost:3000/y', '-d', '@file.json'])).toThrow(/reads a file/);
    expect(() => parseCurl(['--fancy', 'localhost:3000/y'])).toThrow(/not supported/);
  });
});

// Spawns a server and `pnpm tenant` processes (tsx start-up each): slow on a loaded machine.
describe('README examples run as written against a started server', { timeout: 480_000 }, () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let port: number;
  const adminToken = `readme-admin-${randomBytes(12).toString('hex')}`;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createMigratedTestDatabase();
    env = {
      DATA_DIR: db.dataDir,
      ...(db.url ? { DATABASE_URL: db.url } : {}),
      SECRETS_KEY: randomBytes(32).toString('base64'),
      PLATFORM_ADMIN_TOKEN: adminToken,
    };
    server = startServerProcess(env);
    port = await server.listening;
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('every request example of README.md answers 2xx, and as README shows', async () => {
    const blocks = shellBlocks(readFileSync(readmePath, 'utf8'));
    const commands = blocks.flatMap((block) => shellCommands(block, { PLATFORM_ADMIN_TOKEN: adminToken }));
    /** API keys by client code, from the answers that issued them. */
    const keys = new Map<string, string>();
    const remember = (answer: unknown) => {
      if (!answer || typeof answer !== 'object') return;
      const record = answer as Record<string, unknown>;
      const code = record.clientCode ?? (record.tenant as Record<string, unknown> | undefined)?.clientCode;
      if (typeof record.apiKey === 'string' && typeof code === 'string') keys.set(code, record.apiKey);
      for (const value of Object.values(record)) remember(value);
    };
    let requests = 0;

    for (const command of commands) {
      const [program, ...args] = command.words;
      const line = command.words.join(' ');
      const context = `README example:\n${command.source}`;
      let status: number;
      let answer: unknown;
      if (setupCommands.some((pattern) => pattern.test(line))) continue;
      if (program === 'pnpm' && args[0] === 'tenant') {
        const cli = join(root, 'src/tenants/cli/main.ts');
        const result = await run(process.execPath, ['--import', 'tsx', cli, ...args.slice(1)], {
          cwd: root,
          env: { ...process.env, NODE_ENV: 'test', ...env },
        }).then(
          ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
          (error: { code: number; stdout: string; stderr: string }) => error,
        );
        expect(result.code, `${context}\n${result.stderr}${result.stdout}`).toBe(0);
        status = 200;
        answer = args.includes('--json') ? JSON.parse(result.stdout) : result.stdout;
      } else if (program === 'curl') {
        const request = parseCurl(args);
        const url = new URL(request.url);
        expect(`${url.hostname}:${url.port}`, context).toBe('localhost:3000');
        url.hostname = '127.0.0.1';
        url.port = String(port);
        const code = request.headers.find(([name]) => name.toLowerCase() === 'x-client-code')?.[1];
        const headers = request.headers.map(([name, value]): [string, string] => {
          if (!value.includes('sk_live_…')) return [name, value];
          const key = code && keys.get(code);
          if (!key) throw new Error(`${context}\nuses the key of "${code}", which no earlier example issued`);
          return [name, value.replace('sk_live_…', key)];
        });
        const response = await fetch(url, { method: request.method, headers, body: request.body });
        status = response.status;
        const text = await response.text();
        try {
          answer = JSON.parse(text);
        } catch {
          answer = text;
        }
        expect(status, `${context}\n→ ${status} ${text}`).toBeGreaterThanOrEqual(200);
        expect(status, `${context}\n→ ${status} ${text}`).toBeLessThan(300);
      } else {
        throw new Error(`${context}\nis neither a request (curl, pnpm tenant) nor a known set-up command`);
      }
      requests++;
      remember(answer);
      if (command.expected !== undefined) {
        const expected = expectedAnswer(command.expected);
        if (expected.status !== undefined) expect(status, context).toBe(expected.status);
        if (expected.shape !== undefined) expect(answer, context).toMatchObject(expected.shape as object);
      }
    }
    // The quick start's tenant, its calls, the lead and automation examples and the platform ones.
    expect(requests).toBeGreaterThanOrEqual(9);
  });
});
