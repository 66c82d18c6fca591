-- 022_quality: the data-quality checks (疑点数据, issue 14) as data. Each rule is one row of
-- quality_rules: its number, category, severity, messages, the population it looks at (one row
-- per person, household or plan, made by quality_persons / quality_households / quality_plans in
-- deploy/db/functions/quality.sql), the household types it applies to, its condition (an SQL
-- predicate over the population's columns, with :name for a policy parameter), the parameters it
-- reads and the facts a finding keeps. quality_run() evaluates every rule of a population in one
-- pass over it, records the run (quality_runs) and keeps the findings (quality_findings): a
-- finding still found stays the same finding; one no longer found is marked fixed by that run.
-- docs/quality-checks.md lists the rules (tools/scripts/quality-doc.py, checked by it_quality).

CREATE TABLE quality_rules (
    code          text PRIMARY KEY CHECK (code ~ '^Q[0-9]{3}$'),
    category      text NOT NULL CHECK (category IN ('identity', 'composition', 'income', 'labour', 'basic_needs',
                      'identification', 'elimination', 'measures', 'education', 'health', 'housing', 'water')),
    severity      text NOT NULL CHECK (severity IN ('error', 'warning', 'notice')),
    population    text NOT NULL CHECK (population IN ('person', 'household', 'plan')),
    -- the ledger household types the rule looks at (ledger_households.household_type)
    household_types text[] NOT NULL DEFAULT '{general,lifted,monitored}'
                  CHECK (household_types <@ '{general,lifted,monitored}' AND cardinality(household_types) > 0),
    message_zh    text NOT NULL CHECK (message_zh <> ''),
    message_en    text NOT NULL CHECK (message_en <> ''),
    -- an SQL boolean expression over the population's columns; :name is the policy parameter name
    -- (policy_params, the county's province, in force on the run's day), which must be in params
    condition     text NOT NULL CHECK (condition <> ''),
    params        text[] NOT NULL DEFAULT '{}',
    -- what a finding keeps of what the rule saw: a column of the population, or label=expression
    facts         text[] NOT NULL CHECK (cardinality(facts) > 0),
    source        text NOT NULL CHECK (source <> '')
);

-- One evaluation of rules over one county's records.
CREATE TABLE quality_runs (
    id          bigserial PRIMARY KEY,
    county_code varchar(6) NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    on_day      date NOT NULL,               -- the day the run judged (FANGPIN_TODAY or today)
    actor       text NOT NULL,               -- who ran it
    rules       text[] NOT NULL,             -- the rules evaluated
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    counts      jsonb NOT NULL DEFAULT '{}'  -- {found, opened, still_open, overdue, explained, reopened, fixed}
);
CREATE INDEX quality_runs_county ON quality_runs (county_code, id);

-- What a rule found about one subject: a person (id_hmac, the ID number's keyed hash: never the
-- number), a household, or a plan. state: open -> overdue (past due_on, still found) -> fixed (a
-- later run no longer found it); open or overdue -> explained (a village actor's reason; it stays
-- explained while its facts stay the same, and opens again when they change).
CREATE TABLE quality_findings (
    id             bigserial PRIMARY KEY,
    county_code    varchar(6) NOT NULL,
    rule_code      text NOT NULL,            -- quality_rules.code
    village_code   varchar(12) COLLATE "C" NOT NULL,
    household_no   varchar(32) COLLATE "C" NOT NULL,
    subject        text NOT NULL,            -- 'household', 'person:<id_hmac hex>' or 'plan:<id>'
    id_hmac        bytea,                    -- the person, for a person rule
    plan_id        bigint,                   -- the plan (plans.id), for a plan rule
    facts          jsonb NOT NULL,           -- what the rule saw at the last run that found it
    state          text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'overdue', 'explained', 'fixed')),
    opened_on      date NOT NULL,
    due_on         date NOT NULL,            -- opened_on + quality_due_days
    -- quality_runs ids. No foreign keys on this table: only quality_run() writes it, a finding
    -- per subject and rule, and a key check per row cost more than finding the rows
    first_run      bigint NOT NULL,
    last_run       bigint NOT NULL,          -- the last run that found it
    fixed_run      bigint,
    fixed_on       date,
    explanation    text NOT NULL DEFAULT '',
    explained_by   text,
    explained_at   timestamptz,
    CHECK ((state = 'fixed') = (fixed_run IS NOT NULL)),
    CHECK (state <> 'explained' OR (explanation <> '' AND explained_by IS NOT NULL))
);
-- A subject has at most one live finding per rule; a problem found again after it was fixed is
-- a new finding.
CREATE UNIQUE INDEX quality_findings_live ON quality_findings (county_code, rule_code, household_no, subject)
    WHERE state <> 'fixed';
CREATE INDEX quality_findings_village ON quality_findings (village_code, rule_code, id);

INSERT INTO policy_params (name, province_code, effective_from, value, unit, source) VALUES
  ('quality_due_days', '00', '2020-01-01', 30, 'days', 'fangpin default: a village fixes or explains a finding within 30 days of the run that found it'),
  ('quality_spouse_min_age', '00', '2020-01-01', 20, 'years', 'Civil Code art. 1047: marriage at 22 for men, 20 for women; a spouse below the lower age is doubtful (Q001)'),
  ('quality_generation_min_years', '00', '2020-01-01', 15, 'years', 'fangpin default: a parent at least 15 years older than the child (Q002-Q005; two generations: twice that)'),
  ('quality_head_min_age', '00', '2020-01-01', 18, 'years', 'fangpin default: a head of household under 18 is doubtful (Q007)'),
  ('quality_labour_min_age', '00', '2020-01-01', 16, 'years', 'Labour Law art. 15: no work under 16 (Q010)'),
  ('quality_old_age', '00', '2020-01-01', 60, 'years', 'issue 14: 60 and over with full labour is doubtful (Q011); the rural residents'' basic pension is paid from 60 (Q055)'),
  ('quality_school_start_age', '00', '2020-01-01', 6, 'years', 'Compulsory Education Law art. 11: school from 6 (Q020-Q023)'),
  ('quality_compulsory_end_age', '00', '2020-01-01', 15, 'years', 'Compulsory Education Law: nine years from 6, the last at 15 (Q021-Q023)'),
  ('quality_max_members', '00', '2020-01-01', 12, 'persons', 'fangpin default: a household of more than 12 present members is doubtful (Q043)'),
  ('quality_max_risk_types', '00', '2020-01-01', 5, 'risk types', 'issue 14: more than five risk types per monitored household is doubtful (Q072)'),
  ('quality_far_above_pct', '00', '2020-01-01', 150, 'percent', 'fangpin default: identified with a per capita income at 150% of the line or more is doubtful (Q075)'),
  ('quality_measure_unstarted_days', '00', '2020-01-01', 30, 'days', 'fangpin default: a measure still planned 30 days after its start date was never carried out (Q090)')
ON CONFLICT (name, province_code, effective_from) DO NOTHING;

-- The rules. Conditions are read by the population's columns (docs/quality-checks.md, "Populations").
-- Persons: the members present in the ledger (left_on empty); ages are whole years on the run's day.
INSERT INTO quality_rules (code, category, severity, population, household_types, message_zh, message_en,
                           condition, params, facts, source) VALUES
  ('Q001', 'identity', 'warning', 'person', DEFAULT, '配偶年龄低于法定婚龄', 'a spouse younger than the legal age of marriage',
   $c$relation = 'spouse' AND age < :quality_spouse_min_age$c$, '{quality_spouse_min_age}', '{relation,age}',
   'interpretation (家庭成员关系与年龄逻辑)'),
  ('Q002', 'identity', 'warning', 'person', DEFAULT, '子女（儿媳、女婿）与户主年龄差过小', 'a child (or child-in-law) too close in age to the head',
   $c$relation IN ('child', 'child_in_law') AND head_age - age < :quality_generation_min_years$c$,
   '{quality_generation_min_years}', '{relation,age,head_age}', 'interpretation (家庭成员关系与年龄逻辑)'),
  ('Q003', 'identity', 'warning', 'person', DEFAULT, '父母与户主年龄差过小', 'a parent too close in age to the head',
   $c$relation = 'parent' AND age - head_age < :quality_generation_min_years$c$,
   '{quality_generation_min_years}', '{relation,age,head_age}', 'interpretation (家庭成员关系与年龄逻辑)'),
  ('Q004', 'identity', 'warning', 'person', DEFAULT, '孙子女与户主年龄差过小', 'a grandchild too close in age to the head',
   $c$relation = 'grandchild' AND head_age - age < 2 * :quality_generation_min_years$c$,
   '{quality_generation_min_years}', '{relation,age,head_age}', 'interpretation (家庭成员关系与年龄逻辑)'),
  ('Q005', 'identity', 'warning', 'person', DEFAULT, '祖父母与户主年龄差过小', 'a grandparent too close in age to the head',
   $c$relation = 'grandparent' AND age - head_age < 2 * :quality_generation_min_years$c$,
   '{quality_generation_min_years}', '{relation,age,head_age}', 'interpretation (家庭成员关系与年龄逻辑)'),
  ('Q006', 'identity', 'notice', 'person', DEFAULT, '配偶与户主性别相同', 'a spouse of the same sex as the head',
   $c$relation = 'spouse' AND sex = head_sex$c$, '{}', '{relation,sex,head_sex}',
   'interpretation (家庭成员关系与性别逻辑)'),
  ('Q007', 'identity', 'notice', 'person', DEFAULT, '户主未成年', 'a head of household under age',
   $c$relation = 'head' AND age < :quality_head_min_age$c$, '{quality_head_min_age}', '{relation,age}',
   'fangpin default'),
  ('Q010', 'labour', 'error', 'person', DEFAULT, '未满16周岁登记有劳动能力', 'a child recorded with labour capacity',
   $c$age < :quality_labour_min_age AND labour IN ('normal', 'weak')$c$, '{quality_labour_min_age}', '{age,labour}',
   'issue 14'),
  ('Q011', 'labour', 'warning', 'person', DEFAULT, '60周岁以上登记为普通劳动力', 'a person of 60 or over recorded with full labour capacity',
   $c$age >= :quality_old_age AND labour = 'normal'$c$, '{quality_old_age}', '{age,labour}',
   'issue 14'),
  ('Q012', 'labour', 'warning', 'person', DEFAULT, '一、二级残疾登记为普通劳动力', 'a person with a grade 1 or 2 disability recorded with full labour capacity',
   $c$health = 'disabled' AND disability_grade <= 2 AND labour = 'normal'$c$, '{}', '{health,disability_grade,labour}',
   'interpretation (劳动能力与健康状况)'),
  ('Q013', 'labour', 'notice', 'person', DEFAULT, '患有大病登记为普通劳动力', 'a person with a serious illness recorded with full labour capacity',
   $c$health = 'serious' AND labour = 'normal'$c$, '{}', '{health,labour}',
   'interpretation (劳动能力与健康状况)'),
  ('Q020', 'education', 'warning', 'person', DEFAULT, '超过入学年龄仍登记为学龄前儿童', 'past school age and still recorded as a preschool child',
   $c$schooling = 'preschool' AND age > :quality_school_start_age$c$, '{quality_school_start_age}', '{schooling,age}',
   'interpretation (在校情况与年龄)'),
  ('Q021', 'education', 'error', 'person', DEFAULT, '义务教育阶段适龄儿童辍学', 'a child of compulsory school age dropped out',
   $c$schooling = 'dropped_out' AND age BETWEEN :quality_school_start_age AND :quality_compulsory_end_age$c$,
   '{quality_school_start_age,quality_compulsory_end_age}', '{schooling,age}', 'issue 14; 义务教育有保障'),
  ('Q022', 'education', 'warning', 'person', DEFAULT, '义务教育阶段适龄儿童登记为非在校生', 'a child of compulsory school age recorded as not in school',
   $c$schooling = 'none' AND age BETWEEN :quality_school_start_age AND :quality_compulsory_end_age$c$,
   '{quality_school_start_age,quality_compulsory_end_age}', '{schooling,age}', 'interpretation (在校情况与年龄)'),
  ('Q023', 'education', 'error', 'person', DEFAULT, '有义务教育阶段辍学儿童但义务教育保障标为有保障', 'a child of compulsory school age dropped out while the household''s compulsory education is marked guaranteed',
   $c$schooling = 'dropped_out' AND age BETWEEN :quality_school_start_age AND :quality_compulsory_end_age AND education_ok$c$,
   '{quality_school_start_age,quality_compulsory_end_age}', '{schooling,age,education_ok}', 'interpretation (三保障逻辑)'),
  ('Q030', 'health', 'error', 'person', '{lifted,monitored}', '脱贫人口或监测对象未参加基本医疗保险', 'a member of a lifted or monitored household not covered by basic medical insurance',
   $c$NOT insured$c$, '{}', '{insured,household_type}', 'issue 14; 基本医疗有保障 (参保全覆盖)'),
  ('Q031', 'health', 'warning', 'person', DEFAULT, '有成员未参保但基本医疗保障标为有保障', 'a member not insured while the household''s basic medical care is marked guaranteed',
   $c$NOT insured AND medical_ok$c$, '{}', '{insured,medical_ok}', 'interpretation (三保障逻辑)'),
  ('Q032', 'health', 'notice', 'person', DEFAULT, '残疾人员无残疾等级', 'a disabled person without a disability grade',
   $c$health = 'disabled' AND disability_grade IS NULL$c$, '{}', '{health}', 'interpretation (残疾信息)'),
  ('Q033', 'health', 'notice', 'person', DEFAULT, '患有大病但家庭无医疗自付支出', 'a person with a serious illness in a household without out-of-pocket medical costs',
   $c$health = 'serious' AND medical_oop_fen = 0$c$, '{}', '{health,medical_oop_fen}', 'interpretation (健康与支出)');

-- Households: every household of the county; n_* count its present members.
INSERT INTO quality_rules (code, category, severity, population, household_types, message_zh, message_en,
                           condition, params, facts, source) VALUES
  ('Q040', 'composition', 'error', 'household', DEFAULT, '户内无户主', 'a household without a present head',
   $c$n_members > 0 AND n_heads = 0$c$, '{}', '{n_members,n_heads}', 'interpretation (家庭成员)'),
  ('Q041', 'composition', 'error', 'household', DEFAULT, '户主配偶多于一人', 'more than one spouse of the head',
   $c$n_spouses > 1$c$, '{}', '{n_spouses}', 'interpretation (家庭成员)'),
  ('Q042', 'composition', 'warning', 'household', DEFAULT, '户内已无在册成员', 'a household whose members have all left',
   $c$n_members = 0$c$, '{}', '{n_members}', 'interpretation (家庭成员)'),
  ('Q043', 'composition', 'notice', 'household', DEFAULT, '家庭人口数过多', 'an unusually large household',
   $c$n_members > :quality_max_members$c$, '{quality_max_members}', '{n_members}', 'fangpin default'),
  ('Q050', 'income', 'error', 'household', '{general,lifted}', '人均纯收入低于监测标准但未纳入监测', 'per capita net income below the monitoring line but not monitored',
   $c$per_capita_fen < :monitoring_line_yuan * 100$c$, '{monitoring_line_yuan}',
   '{per_capita_fen,line_fen=:monitoring_line_yuan * 100,household_type}', 'issue 14; seed 000 (监测范围)'),
  ('Q051', 'income', 'notice', 'household', DEFAULT, '家庭纯收入为负数', 'a negative household net income',
   $c$net_income_fen < 0$c$, '{}', '{net_income_fen}', 'interpretation (收入逻辑)'),
  ('Q052', 'income', 'warning', 'household', DEFAULT, '家庭纯收入为零', 'a household net income of zero',
   $c$n_members > 0 AND net_income_fen = 0$c$, '{}', '{net_income_fen,n_members}', 'interpretation (收入逻辑)'),
  ('Q053', 'income', 'warning', 'household', DEFAULT, '享受特困供养但有普通劳动力成员', 'extreme-poverty support (特困) paid to a household with a member of full labour capacity',
   $c$tekun_fen > 0 AND n_labour_normal > 0$c$, '{}', '{tekun_fen,n_labour_normal}', 'interpretation (特困供养条件)'),
  ('Q054', 'income', 'notice', 'household', DEFAULT, '无劳动能力家庭有工资性收入', 'wages in a household without labour capacity',
   $c$wage_fen > 0 AND n_labour = 0$c$, '{}', '{wage_fen,n_labour}', 'interpretation (收入与劳动能力)'),
  ('Q055', 'income', 'warning', 'household', '{lifted,monitored}', '有60周岁以上成员但无养老金收入', 'a member of 60 or over and no pension income',
   $c$pension_fen = 0 AND oldest_age >= :quality_old_age$c$, '{quality_old_age}', '{pension_fen,oldest_age}',
   'interpretation (城乡居民基本养老保险)'),
  ('Q056', 'income', 'notice', 'household', '{general}', '享受低保但既非脱贫户也未纳入监测', 'minimum living allowance (低保) paid to a household that is neither lifted nor monitored',
   $c$dibao_fen > 0$c$, '{}', '{dibao_fen,household_type}', 'seed 000 (一)3 (与低收入人口监测数据比对共享)'),
  ('Q060', 'basic_needs', 'error', 'household', '{general,lifted}', '吃穿不愁未保障但未纳入监测', 'food and clothing not secured in a household that is not monitored',
   $c$food_clothing_ok = false$c$, '{}', '{food_clothing_ok,household_type}', 'issue 14; 两不愁三保障'),
  ('Q061', 'education', 'error', 'household', '{general,lifted}', '义务教育未保障但未纳入监测', 'compulsory education not guaranteed in a household that is not monitored',
   $c$education_ok = false$c$, '{}', '{education_ok,household_type}', 'issue 14; 两不愁三保障'),
  ('Q062', 'health', 'error', 'household', '{general,lifted}', '基本医疗未保障但未纳入监测', 'basic medical care not guaranteed in a household that is not monitored',
   $c$medical_ok = false$c$, '{}', '{medical_ok,household_type}', 'issue 14; 两不愁三保障'),
  ('Q063', 'housing', 'error', 'household', '{general,lifted}', '住房安全未保障但未纳入监测', 'housing not safe in a household that is not monitored',
   $c$housing_ok = false$c$, '{}', '{housing_ok,household_type}', 'issue 14; 两不愁三保障'),
  ('Q064', 'water', 'error', 'household', '{general,lifted}', '饮水安全未保障但未纳入监测', 'drinking water not safe in a household that is not monitored',
   $c$water_ok = false$c$, '{}', '{water_ok,household_type}', 'issue 14; 饮水安全'),
  ('Q065', 'basic_needs', 'warning', 'household', '{lifted,monitored}', '两不愁三保障及饮水安全信息未采集', 'a guarantee or drinking water not surveyed in a lifted or monitored household',
   $c$food_clothing_ok IS NULL OR education_ok IS NULL OR medical_ok IS NULL OR housing_ok IS NULL OR water_ok IS NULL$c$, '{}',
   '{food_clothing_ok,education_ok,medical_ok,housing_ok,water_ok}', 'interpretation (信息完整性)'),
  ('Q070', 'identification', 'notice', 'household', '{monitored}', '监测户无识别纳入记录', 'a monitored household without an identification on record',
   $c$NOT identified$c$, '{}', '{identified,monitored_kind}', 'interpretation (识别程序)');

-- Plans: every assistance plan of the county (monitoring and consolidation); current is the
-- household's latest monitoring plan.
INSERT INTO quality_rules (code, category, severity, population, household_types, message_zh, message_en,
                           condition, params, facts, source) VALUES
  ('Q071', 'identification', 'error', 'plan', DEFAULT, '监测对象无风险类型', 'a monitored household without a risk type',
   $c$current AND elim_state <> 'eliminated' AND n_risks = 0$c$, '{}', '{n_risks}', 'issue 14'),
  ('Q072', 'identification', 'warning', 'plan', DEFAULT, '监测对象风险类型超过5项', 'a monitored household with more than five risk types',
   $c$current AND n_risks > :quality_max_risk_types$c$, '{quality_max_risk_types}', '{n_risks,risk_types}',
   'issue 14'),
  ('Q073', 'identification', 'error', 'plan', '{general,lifted}', '正在监测帮扶但台账户类型不是监测户', 'monitored by a plan but not a monitored household in the ledger',
   $c$current AND elim_state <> 'eliminated'$c$, '{}', '{household_type,elim_state}', 'interpretation (户类型一致)'),
  ('Q074', 'identification', 'warning', 'plan', '{monitored}', '台账监测类型与识别结果不一致', 'the ledger''s monitored kind differs from the identification',
   $c$current AND elim_state <> 'eliminated' AND monitored_kind <> plan_monitored_kind$c$, '{}',
   '{monitored_kind,plan_monitored_kind}', 'interpretation (监测类型一致)'),
  ('Q075', 'income', 'notice', 'plan', DEFAULT, '识别时人均纯收入远高于监测标准', 'identified with a per capita income far above the monitoring line',
   $c$case_per_capita_fen * 100 >= case_line_fen * :quality_far_above_pct$c$, '{quality_far_above_pct}',
   '{case_per_capita_fen,case_line_fen}', 'issue 14'),
  ('Q076', 'housing', 'notice', 'plan', DEFAULT, '因安全住房识别但台账住房安全', 'identified for housing safety while the ledger says the house is safe',
   $c$current AND elim_state <> 'eliminated' AND 'housing' = ANY (risk_types) AND housing_ok$c$, '{}',
   '{risk_types,housing_ok}', 'interpretation (风险类型与三保障)'),
  ('Q077', 'water', 'notice', 'plan', DEFAULT, '因安全饮水识别但台账饮水安全', 'identified for drinking water while the ledger says the water is safe',
   $c$current AND elim_state <> 'eliminated' AND 'water' = ANY (risk_types) AND water_ok$c$, '{}',
   '{risk_types,water_ok}', 'interpretation (风险类型与饮水安全)'),
  ('Q078', 'housing', 'warning', 'plan', DEFAULT, '住房不安全但风险类型无因安全住房', 'an unsafe house not among the monitored household''s risk types',
   $c$current AND elim_state <> 'eliminated' AND housing_ok = false AND NOT 'housing' = ANY (risk_types)$c$, '{}',
   '{risk_types,housing_ok}', 'interpretation (风险类型与三保障)'),
  ('Q079', 'water', 'warning', 'plan', DEFAULT, '饮水不安全但风险类型无因安全饮水', 'unsafe drinking water not among the monitored household''s risk types',
   $c$current AND elim_state <> 'eliminated' AND water_ok = false AND NOT 'water' = ANY (risk_types)$c$, '{}',
   '{risk_types,water_ok}', 'interpretation (风险类型与饮水安全)'),
  ('Q080', 'elimination', 'error', 'plan', DEFAULT, '帮扶消除风险时人均纯收入低于监测标准', 'eliminated by assistance with the last recorded income below the monitoring line',
   $c$elim_state = 'eliminated' AND elim_way = 'by_assistance' AND income_at_elim_fen < :monitoring_line_yuan * 100$c$,
   '{monitoring_line_yuan}', '{income_at_elim_fen,line_fen=:monitoring_line_yuan * 100,eliminated_on}',
   'issue 14; seed 004 §(四)'),
  ('Q081', 'elimination', 'error', 'plan', DEFAULT, '风险已消除但两不愁三保障及饮水安全未实现', 'eliminated while food and clothing, a guarantee or drinking water is not met',
   $c$current AND elim_state = 'eliminated' AND false IN (food_clothing_ok, education_ok, medical_ok, housing_ok, water_ok)$c$, '{}',
   '{food_clothing_ok,education_ok,medical_ok,housing_ok,water_ok}', 'seed 004 §(四) (风险消除条件)'),
  ('Q090', 'measures', 'warning', 'plan', DEFAULT, '帮扶措施登记后长期未实施', 'a measure registered and never carried out',
   $c$days_planned_unstarted > :quality_measure_unstarted_days$c$, '{quality_measure_unstarted_days}',
   '{days_planned_unstarted}', 'issue 14'),
  ('Q091', 'measures', 'notice', 'plan', DEFAULT, '上季度帮扶措施未核查', 'a measure not checked in the last quarter',
   $c$n_unchecked > 0$c$, '{}', '{n_unchecked,last_quarter}', 'seed 004 (每季度核查)'),
  ('Q092', 'education', 'notice', 'plan', DEFAULT, '有教育帮扶措施但无在校生', 'an education measure in a household with nobody in school',
   $c$'education' = ANY (live_categories) AND n_in_school = 0$c$, '{}', '{live_categories,n_in_school}',
   'interpretation (措施与家庭情况)'),
  ('Q093', 'labour', 'warning', 'plan', DEFAULT, '无劳动能力家庭落实就业帮扶措施', 'an employment measure in a household without labour capacity',
   $c$'employment' = ANY (live_categories) AND n_labour = 0$c$, '{}', '{live_categories,n_labour}',
   'interpretation (措施与劳动能力)');

-- The assistance plan checks (services/assistance/plan_check.c, docs/assistance-rules.md) as the
-- assistance service's plan scan last found them (plans.findings): stated there once, turned into
-- findings here.
INSERT INTO quality_rules (code, category, severity, population, household_types, message_zh, message_en,
                           condition, params, facts, source)
SELECT 'Q1' || right(p.id, 2), p.category, p.severity, 'plan', '{general,lifted,monitored}',
       '帮扶计划检查' || p.id || '未通过', 'the assistance plan check ' || p.id || ' found a problem',
       format('%L = ANY (checks)', p.id), '{}', ARRAY[format('check=checks_seen->%L', p.id)],
       'docs/assistance-rules.md, plan check ' || p.id
  FROM (VALUES ('P01', 'measures', 'error'), ('P02', 'labour', 'warning'), ('P03', 'measures', 'warning'),
               ('P04', 'measures', 'warning'), ('P05', 'measures', 'error'), ('P06', 'elimination', 'error'),
               ('P07', 'elimination', 'error'), ('P08', 'elimination', 'error'), ('P09', 'measures', 'error'))
       AS p(id, category, severity);
