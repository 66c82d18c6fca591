-- 020_event_types: the catalogue of the events the services write to the outbox (events, 001):
-- each type, the region it is filed under, what it means, and the fields of its payload with
-- their meaning. Every writer goes through events_write() (deploy/db/functions/events.sql), which
-- refuses a type not listed here, a payload without a required field or with a field not listed,
-- and a region against the type's rule. docs/events.md is made from these tables
-- (tools/scripts/events-doc.py). A new event type, or a new field, is a new migration adding rows.

-- How a type's region is chosen; events_write() checks what it can: every region lies in the
-- event's county, and a 'county' event is filed under the county itself.
CREATE TABLE event_regions (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    meaning text NOT NULL
);
INSERT INTO event_regions (code, meaning) VALUES
  ('village', 'the village of the lead, the case''s household or the plan''s household (12 digits)'),
  ('next_level', 'the township (9 digits and 000) or the county (6 digits and 000000) that must act next'),
  ('county', 'the county, padded with zeros to 12 digits (130822000000)'),
  ('unit', 'the unit concerned, padded with zeros to 12 digits; a department''s is its county''s');

CREATE TABLE event_types (
    type    text PRIMARY KEY CHECK (type ~ '^[a-z]+(\.[a-z_]+)+$'),
    writer  text NOT NULL CHECK (writer IN ('intake', 'screening', 'assistance', 'reporting')),
    region  text NOT NULL REFERENCES event_regions (code),
    meaning text NOT NULL
);

-- The payload's fields, in the order the documentation lists them. A field that is not required
-- is present for some events of the type only (meaning says when).
CREATE TABLE event_fields (
    type     text NOT NULL REFERENCES event_types (type),
    field    text NOT NULL CHECK (field ~ '^[a-z][a-z_]*$'),
    ord      smallint NOT NULL,
    required boolean NOT NULL DEFAULT true,
    meaning  text NOT NULL,
    PRIMARY KEY (type, field),
    UNIQUE (type, ord)
);

-- One event to write: what events_write() takes, an array of these in the order to write them.
CREATE TYPE event_new AS (county_code text, region_code text, type text, payload jsonb);

INSERT INTO event_types (type, writer, region, meaning) VALUES
  ('lead.accepted', 'intake', 'village', 'a department, a village actor or the self-report gateway pushed a lead, and it was stored'),
  ('intake.submission_late', 'intake', 'county', 'a county department pushed no batch for the month by lead_push_day of the next month (once per department and month)'),
  ('lead.unmatched', 'screening', 'village', 'the lead''s person is not in the rural population ledger: the village is asked to register or refute'),
  ('case.opened', 'screening', 'village', 'a lead opened a verification case for its household'),
  ('case.lead_merged', 'screening', 'village', 'a lead was merged into its household''s open case'),
  ('case.overdue', 'screening', 'next_level', 'a case''s current step is past its due day: announced once per step to the level above'),
  ('plan.opened', 'assistance', 'village', 'an assistance plan was opened: a monitoring plan for an identified case, or a yearly consolidation plan'),
  ('plan.income', 'assistance', 'village', 'the household''s per capita net income of a month was recorded'),
  ('measure.added', 'assistance', 'village', 'a measure was added to a plan'),
  ('measure.checked', 'assistance', 'village', 'a measure was checked for the quarter'),
  ('quarter.summary', 'assistance', 'county', 'the county submitted its quarter summary of measure implementation'),
  ('deadline.missed', 'reporting', 'unit', 'a department, township or county missed a reporting deadline (once per unit, deadline and period)');
-- the case steps (services/screening/case_machine.c, screen_event_code)
INSERT INTO event_types (type, writer, region, meaning)
SELECT 'case.' || s.step, 'screening', 'village', 'the case step ' || s.step || ' was taken: ' || s.what
  FROM (VALUES ('visit', 'the village visited the household'), ('post_notice', 'the village posted the public notice'),
               ('objection', 'an objection to the notice was recorded'), ('review', 'the township reviewed the case'),
               ('approve', 'the county approved the case'), ('identify', 'the county identified the household for monitoring'),
               ('return', 'the case was sent back a step'), ('close', 'the case was closed without inclusion'))
       AS s(step, what);
-- the measure statuses after planned (services/assistance/measures.c)
INSERT INTO event_types (type, writer, region, meaning)
SELECT 'measure.' || s.status, 'assistance', 'village', 'a measure''s status became ' || s.status || s.what
  FROM (VALUES ('in_progress', ''), ('delivered', ''),
               ('stopped', ' (also written, for each live measure that ends with monitoring, when an elimination is announced)'))
       AS s(status, what);
-- the elimination steps (services/assistance/elimination.c, assist_elim_event_code), and backstop
INSERT INTO event_types (type, writer, region, meaning)
SELECT 'elimination.' || s.step, 'assistance', 'village', s.what
  FROM (VALUES ('nominate', 'the household was nominated for risk elimination'),
               ('post_notice', 'the elimination notice was posted'),
               ('objection', 'an objection to the elimination notice was recorded'),
               ('approve', 'the township approved the elimination'), ('confirm', 'the county confirmed the elimination'),
               ('announce', 'the elimination was announced: the risk is eliminated'),
               ('return', 'the elimination was sent back a step'), ('refuse', 'the elimination was refused'),
               ('undo', 'an announced elimination was undone'),
               ('backstop', 'a nomination was refused because the whole household lacks labour: a backstop (兜底保障) household'))
       AS s(step, what);

INSERT INTO event_fields (type, field, ord, required, meaning) VALUES
  ('lead.accepted', 'lead_id', 1, true, 'the lead''s id'),
  ('lead.accepted', 'kind', 2, true, 'the lead kind (lead_kinds.code)'),
  ('lead.accepted', 'sender', 3, true, 'the principal that pushed it'),
  ('lead.accepted', 'batch_id', 4, true, 'the sender''s batch id'),
  ('lead.accepted', 'period', 5, true, 'the month the batch is for, YYYY-MM'),
  ('lead.accepted', 'occurred_on', 6, true, 'the day of what the lead reports, YYYY-MM-DD'),
  ('intake.submission_late', 'department', 1, true, 'the department''s code (department_types.code)'),
  ('intake.submission_late', 'period', 2, true, 'the month not pushed, YYYY-MM'),
  ('lead.unmatched', 'lead_id', 1, true, 'the lead''s id'),
  ('lead.unmatched', 'kind', 2, true, 'the lead kind'),
  ('lead.unmatched', 'occurred_on', 3, true, 'the day of what the lead reports, YYYY-MM-DD'),
  ('case.overdue', 'case_id', 1, true, 'the case''s id'),
  ('case.overdue', 'state', 2, true, 'the state whose step is overdue'),
  ('case.overdue', 'step_due', 3, true, 'the step''s due day, YYYY-MM-DD'),
  ('case.overdue', 'to_level', 4, true, 'who is told: township or county'),
  ('plan.opened', 'plan_id', 1, true, 'the plan''s id'),
  ('plan.opened', 'kind', 2, true, 'monitoring or consolidation'),
  ('plan.opened', 'case_id', 3, false, 'monitoring: the case that identified the household'),
  ('plan.opened', 'monitored_kind', 4, false, 'monitoring: unstable_lifted, marginal or sudden_hardship'),
  ('plan.opened', 'year', 5, false, 'consolidation: the plan''s year'),
  ('plan.opened', 'level', 6, false, 'consolidation: the level of who opened it'),
  ('plan.income', 'plan_id', 1, true, 'the plan''s id'),
  ('plan.income', 'month', 2, true, 'the month recorded, YYYY-MM'),
  ('plan.income', 'level', 3, true, 'the level of who recorded it'),
  ('measure.added', 'plan_id', 1, true, 'the plan''s id'),
  ('measure.added', 'measure_id', 2, true, 'the measure''s id'),
  ('measure.added', 'category', 3, true, 'the measure''s category (one of the twelve)'),
  ('measure.added', 'level', 4, true, 'the level of who added it'),
  ('measure.checked', 'plan_id', 1, true, 'the plan''s id'),
  ('measure.checked', 'measure_id', 2, true, 'the measure''s id'),
  ('measure.checked', 'quarter', 3, true, 'the quarter checked, YYYYQn'),
  ('measure.checked', 'result', 4, true, 'on_track or problem'),
  ('measure.checked', 'level', 5, true, 'the level of who checked it'),
  ('quarter.summary', 'quarter', 1, true, 'the quarter, YYYYQn'),
  ('quarter.summary', 'due_on', 2, true, 'the summary''s due day, YYYY-MM-DD'),
  ('quarter.summary', 'late', 3, true, 'true when submitted after the due day'),
  ('quarter.summary', 'counts', 4, true, 'the county''s measures by status on the quarter''s last day, and checked or not'),
  ('deadline.missed', 'deadline', 1, true, 'lead_push, township_report, county_report or quarter_summary'),
  ('deadline.missed', 'unit_kind', 2, true, 'department, township or county'),
  ('deadline.missed', 'unit', 3, true, 'the department''s code, or the township''s or county''s region code'),
  ('deadline.missed', 'period', 4, true, 'the month (YYYY-MM) or quarter (YYYYQn)'),
  ('deadline.missed', 'due_on', 5, true, 'the due day, YYYY-MM-DD');
INSERT INTO event_fields (type, field, ord, required, meaning)
SELECT t.type, f.field, f.ord, true, f.meaning
  FROM event_types t
  CROSS JOIN (VALUES ('case_id', 1, 'the case''s id'), ('lead_id', 2, 'the lead''s id'),
                     ('kind', 3, 'the lead''s kind')) AS f(field, ord, meaning)
 WHERE t.type IN ('case.opened', 'case.lead_merged');
INSERT INTO event_fields (type, field, ord, required, meaning)
SELECT t.type, f.field, f.ord, true, f.meaning
  FROM event_types t
  CROSS JOIN (VALUES ('case_id', 1, 'the case''s id'), ('from', 2, 'the case''s state before'),
                     ('to', 3, 'the case''s state after'),
                     ('level', 4, 'the level of who took the step: village, township or county')) AS f(field, ord, meaning)
 WHERE t.type LIKE 'case.%' AND t.type NOT IN ('case.opened', 'case.lead_merged', 'case.overdue');
INSERT INTO event_fields (type, field, ord, required, meaning)
SELECT t.type, f.field, f.ord, true, f.meaning
  FROM event_types t
  CROSS JOIN (VALUES ('plan_id', 1, 'the plan''s id'), ('measure_id', 2, 'the measure''s id'),
                     ('from', 3, 'the status before'), ('to', 4, 'the status after'),
                     ('level', 5, 'the level of who changed it')) AS f(field, ord, meaning)
 WHERE t.type IN ('measure.in_progress', 'measure.delivered', 'measure.stopped');
INSERT INTO event_fields (type, field, ord, required, meaning)
SELECT t.type, f.field, f.ord, true, f.meaning
  FROM event_types t
  CROSS JOIN (VALUES ('plan_id', 1, 'the plan''s id'), ('from', 2, 'the elimination state before'),
                     ('to', 3, 'the elimination state after'), ('level', 4, 'the level of who took the step'),
                     ('way', 5, 'by_assistance or natural once chosen, else empty')) AS f(field, ord, meaning)
 WHERE t.type LIKE 'elimination.%';
