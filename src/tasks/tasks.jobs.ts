import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { wakeTask } from './task-timers.js';

/** The job contract of the tasks component: its kinds, their payloads and handlers. */

export const wakeTaskPayload = z.object({ taskId: z.uuid() });

declare module '../queue/job-types.js' {
  interface JobPayloads {
    /** Settles a task at an instant its state changes by itself (SLA at risk, breached; due). */
    'tasks.wake': z.infer<typeof wakeTaskPayload>;
  }
}

export const wakeTaskJob = defineJob({
  kind: 'tasks.wake',
  payload: wakeTaskPayload,
  handler: wakeTask,
  maxAttempts: 10,
});

export const tasksJobs = [wakeTaskJob];
