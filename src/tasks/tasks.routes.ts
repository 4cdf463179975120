import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { orNotFound } from '../http/or-not-found.js';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { callerOf } from '../http/request-context.js';
import { toTask } from './task.mapper.js';
import { findTaskRow, listTasks, slaCalendars } from './task.repository.js';
import {
  completeTaskSchema,
  createTaskSchema,
  taskIdParams,
  taskListQuerySchema,
  taskSchema,
  updateTaskSchema,
} from './task.schemas.js';
import { completeTask, createTask, deleteTask, taskContextOf, updateTask } from './task-changes.js';

const tag = 'Tasks';

export function registerTaskRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/tasks',
      tag,
      summary:
        "Create a task (assignee: the named agent, else the record's owner, else your own agent profile; SLA: the duration given, else the matching policy)",
      body: createTaskSchema,
      response: taskSchema,
      errors: {
        404: 'No such lead, contact or deal',
        403: 'Assigning to that agent needs leads.assign reaching them',
      },
      handler: ({ req, body }) => createTask(services, taskContextOf(req), body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/tasks',
      tag,
      summary: 'List tasks (filters, sort, cursor pages); visible by their assignee',
      query: taskListQuerySchema.extend(pageQuery),
      response: pageSchema(taskSchema, { total: true }),
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listTasks(handle, access.visibility('leads.read'), query);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/tasks/:id',
      tag,
      summary: 'Show a task (by id or T-n)',
      params: taskIdParams,
      response: taskSchema,
      errors: { 404: 'No such task' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        const row = orNotFound(
          await findTaskRow(handle.db, access.visibility('leads.read'), params.id),
          'Task',
          {
            id: params.id,
          },
        );
        return toTask(row, new Date(), await slaCalendars(handle));
      },
    })
    .route({
      method: 'patch',
      permission: 'leads.write',
      path: '/tasks/:id',
      tag,
      summary:
        'Change a task: title, priority, status (a pausing status stops its SLA clock), assignee, due time, SLA',
      params: taskIdParams,
      body: updateTaskSchema,
      response: taskSchema,
      errors: { 404: 'No such task', 409: 'The task is completed or cancelled' },
      handler: ({ req, params, body }) => updateTask(services, taskContextOf(req), params.id, body),
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/tasks/:id/complete',
      status: 200,
      tag,
      summary: 'Complete a task; a note is also added to its lead or deal',
      params: taskIdParams,
      body: completeTaskSchema,
      response: taskSchema,
      errors: { 404: 'No such task', 409: 'The task is completed or cancelled' },
      handler: ({ req, params, body }) => completeTask(services, taskContextOf(req), params.id, body.note),
    })
    .route({
      method: 'delete',
      permission: 'leads.write',
      path: '/tasks/:id',
      tag,
      summary: 'Delete a task',
      params: taskIdParams,
      response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
      errors: { 404: 'No such task' },
      handler: ({ req, params }) => deleteTask(services, taskContextOf(req), params.id),
    });
}
