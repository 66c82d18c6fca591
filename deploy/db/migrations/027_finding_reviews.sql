-- 027_finding_reviews: the life of a finding through the protocol (issue 14). A village actor of
-- the finding's village says it was corrected (a fix claim: who and when; the finding stays live
-- until the next run closes it as fixed, or finds it again and records that the fix did not
-- hold), or explains it; a township actor of the finding's township reviews the explanation:
-- accepted, it stays explained (until its facts change, as before); rejected, it opens again with
-- a new due day and the rejection's reason is kept. Each of these writes an event
-- (finding.fix_claimed, finding.explained, finding.reviewed, and finding.fix_failed from the run
-- that finds a claimed finding again), filed under the finding's village by the data-quality
-- functions (writer 'quality'). The assistance service runs every county's checks once a night
-- (quality_runs.reason 'nightly'), at most once per county and day: the runs table is the record.

ALTER TABLE quality_findings
    ADD COLUMN fix_claimed_by   text,
    ADD COLUMN fix_claimed_at   timestamptz,
    ADD COLUMN fix_failed_run   bigint,        -- the run that found it again after the last fix claim
    ADD COLUMN review           text CHECK (review IN ('accepted', 'rejected')),
    ADD COLUMN reviewed_by      text,
    ADD COLUMN reviewed_at      timestamptz,
    ADD COLUMN rejection_reason text NOT NULL DEFAULT '',
    ADD CONSTRAINT quality_findings_claim CHECK ((fix_claimed_by IS NULL) = (fix_claimed_at IS NULL)),
    ADD CONSTRAINT quality_findings_review CHECK ((review IS NULL) = (reviewed_by IS NULL)
                                                  AND (review IS NULL) = (reviewed_at IS NULL)),
    ADD CONSTRAINT quality_findings_rejected CHECK (review IS DISTINCT FROM 'rejected' OR rejection_reason <> '');

ALTER TABLE quality_runs DROP CONSTRAINT quality_runs_reason_check;
ALTER TABLE quality_runs ADD CONSTRAINT quality_runs_reason_check
    CHECK (reason IN ('on_demand', 'ledger_import', 'nightly'));
-- one nightly run per county and day, whoever starts it and however often the service restarts
CREATE UNIQUE INDEX quality_runs_nightly ON quality_runs (county_code, on_day) WHERE reason = 'nightly';

INSERT INTO event_types (type, writer, region, meaning) VALUES
  ('finding.fix_claimed', 'quality', 'village', 'a village actor said a finding (疑点) was corrected: the next run closes it, or finds it again'),
  ('finding.fix_failed', 'quality', 'village', 'a run found again a finding whose fix was claimed: the fix did not hold, the finding stays open'),
  ('finding.explained', 'quality', 'village', 'a village actor explained a finding: the township reviews the explanation'),
  ('finding.reviewed', 'quality', 'village', 'a township actor accepted an explanation (the finding stays explained) or rejected it (open again, due anew)');
INSERT INTO event_fields (type, field, ord, required, meaning)
SELECT t.type, f.field, f.ord, true, f.meaning
  FROM (VALUES ('finding.fix_claimed'), ('finding.fix_failed'), ('finding.explained'), ('finding.reviewed')) AS t(type)
  CROSS JOIN (VALUES ('finding_id', 1, 'the finding''s id (quality_findings.id)'),
                     ('rule', 2, 'the rule''s number (quality_rules.code, docs/quality.md)'),
                     ('household_no', 3, 'the household''s number in the ledger')) AS f(field, ord, meaning);
INSERT INTO event_fields (type, field, ord, required, meaning) VALUES
  ('finding.fix_claimed', 'actor', 4, true, 'the village actor who claimed the fix'),
  ('finding.fix_failed', 'run_id', 4, true, 'the run that found it again (quality_runs.id)'),
  ('finding.explained', 'actor', 4, true, 'the village actor who explained it'),
  ('finding.reviewed', 'actor', 4, true, 'the township actor who reviewed the explanation'),
  ('finding.reviewed', 'decision', 5, true, 'accepted or rejected'),
  ('finding.reviewed', 'due_on', 6, false, 'a rejected explanation: the finding''s new due day (YYYY-MM-DD)');
