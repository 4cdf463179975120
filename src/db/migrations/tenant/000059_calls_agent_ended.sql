-- Agent presence (issue 21): the dialer offers a call to the agent whose last call ended
-- earliest; each agent's latest `ended_at` is one probe of this index.
create index calls_agent_ended_idx on calls (agent_id, ended_at) where ended_at is not null;
