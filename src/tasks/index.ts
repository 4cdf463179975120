// The tasks component's public surface: other folders import from here only.
export { tasksComponent } from './tasks.component.js';
export { insertTasks, type NewTask, type TaskServices } from './task-writes.js';
export { resolveSla } from './sla-terms.js';
export type { Task } from './task.schemas.js';
export { taskPriorities, taskStatuses, taskTypes } from './tasks.tables.js';
export type { TaskPriority, TaskStatus, TaskType } from './tasks.tables.js';
