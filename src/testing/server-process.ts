import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

export type LogLine = Record<string, unknown> & { msg?: string };

export interface ServerProcess {
  child: ChildProcess;
  /** Every JSON log line the process wrote to stdout so far. */
  logs: LogLine[];
  exit: Promise<{ code: number | null; stderr: string }>;
  /** Resolves with the port once the process logs that it listens; rejects if it exits first. */
  listening: Promise<number>;
  /** Resolves with the first log line whose `msg` is `msg`; rejects if the process exits first. */
  logged(msg: string): Promise<LogLine>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs `server.ts` as a child process (as deployed), on loopback and a free port. With `command`
 * (program and arguments), runs that from the repository root instead, as a platform runs a start
 * command, leading its own process group.
 */
export function startServerProcess(env: Record<string, string>, command?: string[]): ServerProcess {
  const options = {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      // Every test request comes from 127.0.0.1: the per-address budget is for tests that set it.
      PREAUTH_RATE_LIMIT_PER_MINUTE: '100000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
  };
  const child = command
    ? spawn(command[0]!, command.slice(1), { ...options, cwd: root, detached: true })
    : // Node itself, not the `tsx` wrapper: a SIGKILL must reach the server, not orphan it.
      spawn(process.execPath, ['--import', 'tsx', join(root, 'server.ts')], { ...options, cwd: root });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr })),
  );
  const logs: LogLine[] = [];
  const waiting: { msg: string; resolve: (line: LogLine) => void }[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const text of lines) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue;
      }
      logs.push(line);
      for (const waiter of waiting.filter((entry) => entry.msg === line.msg)) waiter.resolve(line);
    }
  });
  const logged = (msg: string) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = logs.find((line) => line.msg === msg);
      if (seen) return resolve(seen);
      waiting.push({ msg, resolve });
      void exit.then(({ code, stderr: err }) => reject(new Error(`exited with ${code}: ${err}`)));
    });
  const listening = logged('listening').then((line) => line.port as number);
  listening.catch(() => undefined); // awaited only by tests that expect the process to come up
  return {
    child,
    logs,
    exit,
    listening,
    logged,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return (await exit).code;
    },
  };
}
