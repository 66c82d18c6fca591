-- 019_kind_effects: what a lead kind says about the household, as columns of the kinds catalogue
-- (lead_kinds) instead of tables compiled into screening (services/screening/cases.c): the shock
-- it reports (the screening rules S08-S13, docs/screening-rules.md) and the guarantee it says has
-- failed (S04-S07: education, medical care, housing, water). screen_match() returns them per case. With it, the SQL
-- functions moved out of the numbered migrations into deploy/db/functions/ (applied after the
-- migrations): what an older fangpin made that those files no longer make goes
-- here.

-- the shock the lead reports, named as the rules' shocks (services/screening/rules.h,
-- SCREEN_SHOCK_*); NULL: none
ALTER TABLE lead_kinds
    ADD COLUMN shock text CHECK (shock IN ('illness', 'disaster', 'accident', 'death_of_worker', 'job_loss',
                                           'industry_failure')),
    -- the guarantee the lead says has failed (SCREEN_G_*); NULL: none
    ADD COLUMN guarantee text CHECK (guarantee IN ('education', 'medical', 'housing', 'water'));
UPDATE lead_kinds k SET shock = v.shock
  FROM (VALUES ('weijian.serious_illness', 'illness'), ('visit.illness', 'illness'), ('self.illness', 'illness'),
               ('yingji.disaster', 'disaster'), ('self.disaster', 'disaster'), ('visit.accident', 'accident'),
               ('gongan.member_death', 'death_of_worker'), ('renshe.job_loss', 'job_loss'),
               ('nongye.industry_failure', 'industry_failure')) AS v(code, shock)
 WHERE k.code = v.code;
UPDATE lead_kinds k SET guarantee = v.guarantee
  FROM (VALUES ('yibao.uninsured', 'medical'), ('zhujian.dangerous_house', 'housing'),
               ('shuiwu.unsafe_water', 'water')) AS v(code, guarantee)
 WHERE k.code = v.code;

-- screen_match() returns the shocks and failed guarantees of the case's leads (lead_shocks,
-- lead_guarantees) instead of their kinds: a new result type, so the old function goes and
-- deploy/db/functions/screening.sql makes it again.
DROP FUNCTION IF EXISTS screen_match(bigint[]);

-- The decision due date is set by screen_match() itself (screen_decision_due), not by a trigger
-- overriding what it inserted (009 had cases_due_on).
DROP TRIGGER IF EXISTS cases_due_on ON cases;
DROP FUNCTION IF EXISTS cases_set_due_on();

-- The data key is checked in plain SQL where it is recorded (common/migrate.c) and compared where a
-- batch is stored (intake_apply); 017's function is no longer used.
DROP FUNCTION IF EXISTS fp_data_key_matches(text);
