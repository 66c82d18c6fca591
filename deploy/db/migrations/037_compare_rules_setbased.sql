-- 037_compare_rules_setbased: the comparison's rules (Q094-Q100, docs/compare.md) read what the
-- departments said from columns of the persons population (quality_persons: yibao_insured,
-- minzheng_dibao, jiaoyu_at_school, the household's zhujian_house_safe; one join each, over the
-- county's facts at once) instead of calling compare_fact() / compare_household_fact() for each
-- person: at 200,000 persons the calls were most of a comparison run's time. The conditions
-- mean what they meant, and the facts a finding keeps are the same (the same names, the same
-- values), so no explained finding opens again for this change. quality_persons' columns grow:
-- it is dropped here and made again by the functions that follow every migration.

DROP FUNCTION IF EXISTS quality_persons(text, date);

UPDATE quality_rules SET condition = $c$yibao_insured = 'no'$c$, facts = ARRAY['insured', 'yibao_insured']
 WHERE code = 'Q094';
UPDATE quality_rules SET condition = $c$NOT insured AND yibao_insured = 'yes'$c$, facts = ARRAY['insured', 'yibao_insured']
 WHERE code = 'Q095';
UPDATE quality_rules SET condition = $c$minzheng_dibao = 'yes'$c$, facts = ARRAY['household_type', 'minzheng_dibao']
 WHERE code = 'Q096';
UPDATE quality_rules SET condition = $c$relation = 'head' AND housing_ok AND zhujian_house_safe = 'no'$c$,
       facts = ARRAY['housing_ok', 'zhujian_house_safe']
 WHERE code = 'Q097';
UPDATE quality_rules SET condition = $c$relation = 'head' AND housing_ok = false AND zhujian_house_safe = 'yes'$c$,
       facts = ARRAY['housing_ok', 'zhujian_house_safe']
 WHERE code = 'Q098';
UPDATE quality_rules
   SET condition = $c$age BETWEEN :quality_school_start_age AND :quality_compulsory_end_age AND education_ok AND jiaoyu_at_school = 'no'$c$,
       facts = ARRAY['age', 'schooling', 'education_ok', 'jiaoyu_at_school']
 WHERE code = 'Q099';
UPDATE quality_rules SET condition = $c$schooling IN ('dropped_out', 'none') AND jiaoyu_at_school = 'yes'$c$,
       facts = ARRAY['schooling', 'age', 'jiaoyu_at_school']
 WHERE code = 'Q100';
