// Business-time engine: 100,000 deadlines (and spans) in a loop, no database. `pnpm bench:calendars`.
import { addBusinessTime, businessTimeBetween } from '../src/calendars/index.js';
const day: [string, string][] = [['10:00', '19:00']];
const cal = {
  timezone: 'America/New_York',
  intervals: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day },
  holidays: ['--12-25', '2026-11-26'],
};
const n = 100_000;
let seed = 1;
const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const starts = Array.from(
  { length: n },
  () => new Date(Date.UTC(2026, 0, 1) + Math.floor(rnd() * 730 * 1440) * 60000),
);
const durs = Array.from({ length: n }, () => Math.floor(rnd() * 3 * 9 * 60) * 60000);
for (let i = 0; i < 5000; i++) addBusinessTime(cal, starts[i]!, durs[i]!);
let t0 = performance.now();
let x = 0;
for (let i = 0; i < n; i++) x += addBusinessTime(cal, starts[i]!, durs[i]!).getTime() % 7;
const dl = performance.now() - t0;
t0 = performance.now();
for (let i = 0; i < n; i++)
  x += businessTimeBetween(cal, starts[i]!, new Date(starts[i]!.getTime() + durs[i]! * 2)) % 7;
const bt = performance.now() - t0;
console.log(
  `addBusinessTime: ${n} in ${dl.toFixed(0)} ms = ${((dl * 1000) / n).toFixed(1)} µs/call; businessTimeBetween: ${((bt * 1000) / n).toFixed(1)} µs/call (${x})`,
);
