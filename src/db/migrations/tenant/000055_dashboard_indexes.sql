-- Dashboard KPIs (issue 20) read stage history by stage and period: entries entered in a period
-- (funnel) and entries exited in a period (time in stage). Both indexes carry what those
-- statements read, so they are index-only scans; the entered one replaces the plain
-- (stage_id, entered_at) index. Measured in BENCHMARKS.md "Dashboard".
drop index stage_history_stage_idx;
create index stage_history_stage_idx on stage_history (stage_id, entered_at) include (record_kind, record_id);
create index stage_history_exited_idx on stage_history (stage_id, exited_at) include (record_kind, record_id, entered_at)
  where exited_at is not null;
