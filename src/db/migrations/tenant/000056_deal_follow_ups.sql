-- Issue 20: a deal's follow-up date, as leads have one; the tasks component keeps one open
-- `follow_up` task following it (src/tasks/follow-up-tasks.ts).
alter table deals add column follow_up_at timestamptz(3);
