import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = 100;

/** utime + stime of one process, in seconds (0 once it is gone). */
function processCpuSeconds(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** CPU seconds of a process and its descendants (tsx runs the server in a child process). */
export function treeCpuSeconds(pid: number): number {
  let seconds = processCpuSeconds(pid);
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const child of children ? children.split(' ') : []) seconds += treeCpuSeconds(Number(child));
  }
  return seconds;
}

/**
 * CPU seconds of every process of the local Postgres server (postmaster, backends, WAL writer,
 * checkpointer, autovacuum). Backends that exit during a measurement take their time with them:
 * measure while the server's pool keeps its connections open.
 */
export function postgresCpuSeconds(): number {
  let seconds = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') seconds += processCpuSeconds(pid);
    } catch {
      // the process exited between the listing and the read
    }
  }
  return seconds;
}

export interface CpuPerRequest {
  server: number;
  postgres: number;
  loadGenerator: number;
}

/** Starts a measurement of where the CPU goes; the answer gives milliseconds per request. */
export function startCpuMeasurement(serverPid: number): (requests: number) => CpuPerRequest {
  const before = {
    server: treeCpuSeconds(serverPid),
    postgres: postgresCpuSeconds(),
    self: process.cpuUsage(),
  };
  return (requests) => {
    const self = process.cpuUsage(before.self);
    const perRequest = (seconds: number) => (seconds * 1000) / requests;
    return {
      server: perRequest(treeCpuSeconds(serverPid) - before.server),
      postgres: perRequest(postgresCpuSeconds() - before.postgres),
      loadGenerator: perRequest((self.user + self.system) / 1e6),
    };
  };
}

/** "server 0.31, Postgres 0.12, load generator 0.20 ms" */
export const formatCpu = ({ server, postgres, loadGenerator }: CpuPerRequest) =>
  `server ${server.toFixed(3)}, Postgres ${postgres.toFixed(3)}, load generator ${loadGenerator.toFixed(3)} ms`;
