-- 034_lowincome_visits: one visit, one method, and civil affairs' refusal of a referral (issue 15,
-- docs/lowincome.md). From 2026 a household is not visited twice for the same check: in a county
-- in the unified mode, the village visit of a case records the household's income and rigid
-- expenses once a quarter (收支核算, its items), every category's rules read that one record, and
-- a later case of the same household in the same quarter reuses it instead of a second visit.
-- Civil affairs may decline a household the county's screening sent it, with its reason: the
-- referral closes as 'declined' with who, when and why.

-- The quarter's income and expense record of a household (one per household and quarter): the
-- items as the visit gave them, and the figures screening's income method makes of them.
CREATE TABLE household_visits (
    county_code     varchar(6) NOT NULL,
    id              bigserial NOT NULL,
    household_no    varchar(32) COLLATE "C" NOT NULL,
    village_code    varchar(12) COLLATE "C" NOT NULL,
    quarter         text NOT NULL CHECK (quarter ~ '^[0-9]{4}Q[1-4]$'),
    visited_on      date NOT NULL,
    case_id         bigint NOT NULL,          -- the case whose visit recorded it
    actor           text NOT NULL,            -- the village actor
    income          jsonb NOT NULL,           -- {item: fen} (docs/screening-rules.md "Income method")
    expenses        jsonb NOT NULL,           -- {medical|education|other_rigid: fen}
    members         integer NOT NULL CHECK (members BETWEEN 1 AND 99),
    net_fen         bigint NOT NULL,          -- income − production costs
    per_capita_fen  bigint NOT NULL,
    medical_fen     bigint NOT NULL CHECK (medical_fen >= 0),
    education_fen   bigint NOT NULL CHECK (education_fen >= 0),
    other_rigid_fen bigint NOT NULL CHECK (other_rigid_fen >= 0),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id),
    UNIQUE (county_code, household_no, quarter),
    FOREIGN KEY (county_code, household_no) REFERENCES ledger_households (county_code, household_no)
);

-- Every case a quarter's record served: the visit that made it (reused = false) and each later
-- case's visit step it met instead of a second visit (reused = true; asked_items: the request
-- carried income or expense items of its own, which were not recorded).
CREATE TABLE household_visit_uses (
    county_code  varchar(6) NOT NULL,
    visit_id     bigint NOT NULL,
    case_id      bigint NOT NULL,
    used_on      date NOT NULL,
    actor        text NOT NULL,
    reused       boolean NOT NULL,
    asked_items  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (county_code, visit_id, case_id),
    FOREIGN KEY (county_code, visit_id) REFERENCES household_visits (county_code, id)
);

-- civil affairs declines a referral: closed with its reason
ALTER TABLE lowincome_referrals DROP CONSTRAINT lowincome_referrals_status_check;
ALTER TABLE lowincome_referrals ADD CONSTRAINT lowincome_referrals_status_check
    CHECK (status IN ('open', 'confirmed', 'declined'));
ALTER TABLE lowincome_referrals ADD COLUMN close_reason text NOT NULL DEFAULT '';
ALTER TABLE lowincome_referrals ADD COLUMN closed_at timestamptz;
ALTER TABLE lowincome_referrals ADD COLUMN close_request text;
CREATE UNIQUE INDEX lowincome_referrals_close_request ON lowincome_referrals (county_code, close_request)
    WHERE close_request IS NOT NULL;

INSERT INTO event_types (type, writer, region, meaning) VALUES
  ('visit.recorded', 'screening', 'village',
   'a case''s village visit recorded the household''s income and rigid expenses for the quarter (unified mode)'),
  ('visit.reused', 'screening', 'village',
   'a case''s visit step was met by the household''s record of the quarter instead of a second visit'),
  ('lowincome.declined', 'screening', 'village',
   'civil affairs declined a household the county''s screening sent it, with its reason');
INSERT INTO event_fields (type, field, ord, required, meaning) VALUES
  ('visit.recorded', 'visit_id', 1, true, 'the quarter''s record (household_visits)'),
  ('visit.recorded', 'household_no', 2, true, 'the household'),
  ('visit.recorded', 'case_id', 3, true, 'the case whose visit it was'),
  ('visit.recorded', 'quarter', 4, true, 'the quarter, YYYYQn'),
  ('visit.reused', 'visit_id', 1, true, 'the quarter''s record it reused'),
  ('visit.reused', 'household_no', 2, true, 'the household'),
  ('visit.reused', 'case_id', 3, true, 'the case whose visit step it met'),
  ('visit.reused', 'asked_items', 4, true, 'true when the request carried items of its own (not recorded)'),
  ('lowincome.declined', 'referral_id', 1, true, 'the referral (ListReferrals)'),
  ('lowincome.declined', 'household_no', 2, true, 'the household'),
  ('lowincome.declined', 'category', 3, true, 'the category it was sent for'),
  ('lowincome.declined', 'by', 4, true, 'the civil-affairs principal');

-- lowincome_candidates() now also gives the quarter's visit record (functions/lowincome.sql)
DROP FUNCTION IF EXISTS lowincome_candidates(jsonb);
