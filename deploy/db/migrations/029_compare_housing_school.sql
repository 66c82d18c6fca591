-- 029_compare_housing_school (also, below: a retried fix claim answered from what is stored; the
-- nightly run a transaction per county): the answer files of 住建 (house safety) and 教育 (school enrolment)
-- in the data comparison (数据比对, issue 14; docs/compare.md). Their answers are dated department
-- facts like 医保's and 民政's (dept_facts.fact: zhujian house_safe, jiaoyu at_school, yes/no), and
-- four rules read them (Q097-Q098 housing, Q099-Q100 education). The persons population
-- (quality_persons, deploy/db/functions/quality.sql) gains the household's housing_ok, so it is
-- dropped here and made again, wider, by the functions that follow every migration. The rules'
-- page is docs/quality-checks.md now: the event catalogue says so.

ALTER TABLE dept_facts DROP CONSTRAINT dept_facts_fact_check;
ALTER TABLE dept_facts ADD CONSTRAINT dept_facts_fact_check
    CHECK (fact IN ('insured', 'insured_on', 'dibao', 'dibao_fen', 'house_safe', 'at_school'));

DROP FUNCTION IF EXISTS quality_persons(text, date);
-- compare_answers_apply() takes whether to run the rules after a batch (p_run; the file's last
-- batch runs them once): a new argument is a new function, so the old one goes.
DROP FUNCTION IF EXISTS compare_answers_apply(text, text, text, text, bigint, date, integer, bytea[], text[], text[], text);

-- A household's 住建 answer is about its house: compare_household_fact() reads it over the present
-- members (no if any says no), and the finding is the head's, once per household.
INSERT INTO quality_rules (code, category, severity, population, household_types, message_zh, message_en,
                           condition, params, facts, source) VALUES
  ('Q097', 'housing', 'error', 'person', '{general,lifted,monitored}', '住建部门比对为住房不安全但台账住房安全有保障',
   'housing (住建) says the house is not safe while the ledger says housing is guaranteed',
   $c$relation = 'head' AND housing_ok AND compare_household_fact($1, household_no, 'zhujian', 'house_safe') = 'no'$c$,
   '{}', ARRAY['housing_ok', $f$zhujian_house_safe=compare_household_fact($1, household_no, 'zhujian', 'house_safe')$f$],
   'issue 14; 数据比对 (住建): 住房安全有保障'),
  ('Q098', 'housing', 'warning', 'person', '{general,lifted,monitored}', '台账为住房不安全但住建部门比对为住房安全',
   'the ledger says the house is not safe while housing (住建) says it is safe',
   $c$relation = 'head' AND housing_ok = false AND compare_household_fact($1, household_no, 'zhujian', 'house_safe') = 'yes'$c$,
   '{}', ARRAY['housing_ok', $f$zhujian_house_safe=compare_household_fact($1, household_no, 'zhujian', 'house_safe')$f$],
   'issue 14; 数据比对 (住建): the ledger is corrected'),
  ('Q099', 'education', 'error', 'person', '{general,lifted,monitored}', '教育部门比对为义务教育阶段适龄儿童不在校但台账义务教育有保障',
   'education (教育) says a child of compulsory school age is not at school while the ledger says compulsory education is guaranteed',
   $c$age BETWEEN :quality_school_start_age AND :quality_compulsory_end_age AND education_ok AND compare_fact($1, id_hmac, 'jiaoyu', 'at_school') = 'no'$c$,
   '{quality_school_start_age,quality_compulsory_end_age}',
   ARRAY['age', 'schooling', 'education_ok', $f$jiaoyu_at_school=compare_fact($1, id_hmac, 'jiaoyu', 'at_school')$f$],
   'issue 14; 数据比对 (教育): 义务教育有保障'),
  ('Q100', 'education', 'warning', 'person', '{general,lifted,monitored}', '台账为不在校但教育部门比对为在校',
   'the ledger says the person is not at school while education (教育) says they are',
   $c$schooling IN ('dropped_out', 'none') AND compare_fact($1, id_hmac, 'jiaoyu', 'at_school') = 'yes'$c$,
   '{}', ARRAY['schooling', 'age', $f$jiaoyu_at_school=compare_fact($1, id_hmac, 'jiaoyu', 'at_school')$f$],
   'issue 14; 数据比对 (教育): the ledger is corrected');

-- A fix claim keeps the id of the request that made it: a retry with the same request id is
-- answered from what is stored, not claimed again (quality_claim_fix, which takes it now).
ALTER TABLE quality_findings ADD COLUMN fix_claim_request text;
DROP FUNCTION IF EXISTS quality_claim_fix(bigint, text);

-- The nightly run commits each county in its own transaction (quality_nightly_due and
-- quality_nightly_county, called one county at a time): the one function for all counties goes.
DROP FUNCTION IF EXISTS quality_nightly(date, text);

-- An export's page is one statement made for its columns (compare_page, compare_cell_sql): the
-- function that made each cell goes.
DROP FUNCTION IF EXISTS compare_cell(text, text, text, date, boolean, text, text, text, text, bigint, bigint, boolean);

-- A department fact's export is checked before any fact is stored (compare_answers_apply: the
-- department's export of the county, else compare.export_unknown), and an export is an audit row
-- never deleted: the foreign key checked it again per fact, a third of an answer file's time.
ALTER TABLE dept_facts DROP CONSTRAINT dept_facts_export_id_fkey;

UPDATE event_fields SET meaning = replace(meaning, 'docs/quality.md', 'docs/quality-checks.md')
 WHERE meaning LIKE '%docs/quality.md%';
