-- 024_finding_events: a data-quality run (quality_run, deploy/db/functions/quality.sql) tells the
-- villages what it found (issue 14): it writes finding.opened for each finding it opens and
-- finding.closed for each it closes, through events_write in its own transaction, filed under the
-- finding's village. The payload names the finding, its rule and the household, never a person:
-- no name, no ID number. The runs are written by the data-quality checks, not by one of the four
-- services (fangpinctl quality run, and the run after a ledger import), so the catalogue gets a
-- fifth writer, 'quality'. A run now says why it ran (quality_runs.reason): on demand
-- (fangpinctl quality run) or after a ledger import (fangpinctl ledger import).

ALTER TABLE event_types DROP CONSTRAINT event_types_writer_check;
ALTER TABLE event_types ADD CONSTRAINT event_types_writer_check
    CHECK (writer IN ('intake', 'screening', 'assistance', 'reporting', 'quality'));

INSERT INTO event_types (type, writer, region, meaning) VALUES
  ('finding.opened', 'quality', 'village', 'a data-quality run (疑点) opened a finding: the village must fix or explain it by its due day'),
  ('finding.closed', 'quality', 'village', 'a data-quality run closed a finding: the rule no longer finds the problem (the finding is fixed)');
INSERT INTO event_fields (type, field, ord, required, meaning)
SELECT t.type, f.field, f.ord, true, f.meaning
  FROM (VALUES ('finding.opened'), ('finding.closed')) AS t(type)
  CROSS JOIN (VALUES ('finding_id', 1, 'the finding''s id (quality_findings.id)'),
                     ('rule', 2, 'the rule''s number (quality_rules.code, docs/quality.md)'),
                     ('category', 3, 'the rule''s category'),
                     ('run_id', 4, 'the run that opened or closed it (quality_runs.id)'),
                     ('household_no', 5, 'the household''s number in the ledger')) AS f(field, ord, meaning);

ALTER TABLE quality_runs ADD COLUMN reason text NOT NULL DEFAULT 'on_demand'
    CHECK (reason IN ('on_demand', 'ledger_import'));

-- A person finding's subject names the person by the keyed hash of the ID number in base64, not
-- hex: 64 hex digits hold a run of 15 or 18 decimal digits often enough that a scan for ID numbers
-- in clear (it_sealed_demo) found one; in base64 such a run is vanishingly rare.
UPDATE quality_findings SET subject = 'person:' || encode(id_hmac, 'base64') WHERE subject LIKE 'person:%';

-- quality_run takes the reason it runs for
DROP FUNCTION IF EXISTS quality_run(text, date, text, text[]);
