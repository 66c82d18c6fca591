-- 007_case_requests: what the case transitions (services/screening/transitions.c) keep on a case
-- beyond 005: the case machine's own fields, the public notice text, the overdue mark, and the
-- client request id on each history row so a retried transition is applied once.

ALTER TABLE cases
    ADD COLUMN step_since       date,                       -- day the current state was entered; NULL = opened_on
    ADD COLUMN notice_posted_on date,                       -- the notice in force
    ADD COLUMN notice_text      text NOT NULL DEFAULT '',   -- 公示 text as posted: masked name, never an ID number
    ADD COLUMN objections       integer NOT NULL DEFAULT 0, -- objections during the notice in force
    ADD COLUMN returns          integer NOT NULL DEFAULT 0, -- times sent back
    ADD COLUMN consent          boolean NOT NULL DEFAULT false,
    ADD COLUMN overdue_step     text;                       -- the state whose step was reported overdue

ALTER TABLE case_history ADD COLUMN request_id text;
CREATE UNIQUE INDEX case_history_request ON case_history (case_id, request_id) WHERE request_id IS NOT NULL;
