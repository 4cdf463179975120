-- The run that owns an import (a fencing token, new for every run of imports.run): a batch commits
-- only while its run still owns the import, so a run that lost its job's lease without noticing
-- (a stalled event loop) cannot write a batch a newer run has written, or count it twice.
alter table imports add column claimed_by uuid;
