-- complete_jobs: writes many job outcomes at once (succeeded, failed with a retry delay, dead).
-- Called by completeJobs (src/queue/worker.repository.ts), the JobWorker's batched outcome writer.
-- Only jobs this worker still holds at the same attempt are touched: a job whose lease expired
-- and was claimed elsewhere keeps the other run's state. Answers only which outcomes were
-- written (their 1-based position in the arrays) and, for a retry, when it runs.
-- Live definition: edit it here, src/db/migrate.ts reapplies it (CONTRIBUTING.md, "Migrations").

create or replace function complete_jobs(
  p_worker text,
  p_ids bigint[],
  p_attempts integer[],
  p_statuses text[],
  p_delay_ms integer[],
  p_errors text[],
  p_codes text[],
  p_results text[]
) returns table (ord integer, run_at timestamptz) language plpgsql as $$
#variable_conflict use_column
begin
  return query
  update platform.jobs j set
    status = v.status,
    run_at = case when v.status = 'failed' then now() + v.delay_ms * interval '1 millisecond' else j.run_at end,
    finished_at = case when v.status = 'failed' then null else now() end,
    locked_by = null,
    locked_until = null,
    result = v.result::jsonb,
    last_error = coalesce(v.error, j.last_error),
    errors = case when v.error is null then j.errors else j.errors || jsonb_build_array(
      jsonb_build_object('attempt', j.attempts, 'at', now(), 'error', v.error, 'code', v.code)) end
  from unnest(p_ids, p_attempts, p_statuses, p_delay_ms, p_errors, p_codes, p_results)
    with ordinality as v (id, attempt, status, delay_ms, error, code, result, ord)
  where j.id = v.id and j.locked_by = p_worker and j.attempts = v.attempt and j.status = 'running'
  returning v.ord::integer, case when j.status = 'failed' then j.run_at end;
end
$$;
