-- 032_lowincome: the rural low-income population beside the monitored households (issue 15,
-- docs/lowincome.md). Since 2024 the relapse monitoring shares its data with civil affairs'
-- monitoring of the low-income population, and from 2026 a county runs both as one mechanism:
-- that is configuration and new categories, not a rewrite. Here: the categories as data (the
-- three monitoring kinds as they are, and the four low-income categories with their identifying
-- authority and review period), their parameters by province or county and effective date, a
-- household's memberships with every dated change (who and why), the county's mode by effective
-- date (before its switch everything behaves as before), the households the county's screening
-- sends to civil affairs for its decision, the lead kind for an exit from 低保, and the events.

CREATE TABLE lowincome_categories (
    code           text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    name_zh        text NOT NULL,
    name_en        text NOT NULL,
    -- who identifies it: 'minzheng' (civil affairs, 民政) or 'xiangcun' (the rural revitalisation
    -- bureau, 乡村振兴, through the verification case)
    authority      text NOT NULL CHECK (authority IN ('minzheng', 'xiangcun')),
    review_months  smallint NOT NULL CHECK (review_months BETWEEN 1 AND 36),
    ord            smallint NOT NULL UNIQUE,
    rule           text NOT NULL -- the policy's words (docs/lowincome.md)
);
INSERT INTO lowincome_categories (code, name_zh, name_en, authority, review_months, ord, rule) VALUES
  ('unstable_lifted', '脱贫不稳定户', 'lifted but unstable household', 'xiangcun', 12, 1,
   'a lifted household at risk of returning to poverty, identified through the verification case'),
  ('marginal', '边缘易致贫户', 'marginal household prone to poverty', 'xiangcun', 12, 2,
   'a household near the monitoring line, identified through the verification case'),
  ('sudden_hardship', '突发严重困难户', 'household in sudden severe hardship', 'xiangcun', 12, 3,
   'a household whose spending or income fell sharply after a shock, identified through the verification case'),
  ('dibao', '低保对象', 'minimum living allowance recipient (低保)', 'minzheng', 12, 4,
   'per-capita income below the county''s 低保 standard and assets within the rules; civil affairs decides'),
  ('tekun', '特困人员', 'extreme-poverty support recipient (特困)', 'minzheng', 12, 5,
   'no capacity to work, no income and no one obliged and able to support them; civil affairs decides'),
  ('dibao_edge', '低保边缘家庭', 'household on the edge of 低保', 'minzheng', 12, 6,
   'not eligible for 低保, per-capita income below dibao_edge_multiple_pct % of the 低保 standard, assets within the rules'),
  ('rigid_spending', '刚性支出困难家庭', 'household in difficulty from rigid spending', 'minzheng', 12, 7,
   'in none of the above; rigid medical, education or similar spending of the last 12 months above the household''s '
   'total income, and per-capita income below the previous year''s local per-capita disposable income');

-- The categories' parameters, by province (2 digits, '00' national) or county (6 digits) and
-- effective date: the value in force is the row of the longest matching region with the
-- greatest effective_from <= the date (lowincome_param, functions/lowincome.sql).
CREATE TABLE lowincome_params (
    name           text NOT NULL CHECK (name IN ('dibao_standard_yuan', 'dibao_edge_multiple_pct',
                                                 'disposable_income_yuan')),
    region_code    varchar(6) NOT NULL CHECK (region_code ~ '^([0-9]{2}|[0-9]{6})$'),
    effective_from date NOT NULL,
    value          numeric NOT NULL CHECK (value >= 0),
    unit           text NOT NULL,
    source         text NOT NULL,
    set_by         text NOT NULL DEFAULT 'migration',
    set_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, region_code, effective_from)
);
INSERT INTO lowincome_params (name, region_code, effective_from, value, unit, source) VALUES
  ('dibao_edge_multiple_pct', '00', '2023-10-01', 150, 'percent of the 低保 standard',
   '国办发〔2023〕39号 关于加强低收入人口动态监测做好分层分类社会救助工作的意见: in general below 1.5 times the local 低保 standard');

-- A household's categories now: one row per (household, category) while it is in it. The three
-- monitoring kinds stay where they are (ledger_households.monitored_kind, set by the case);
-- lowincome_members() reads both.
CREATE TABLE household_categories (
    county_code  varchar(6) NOT NULL,
    household_no varchar(32) COLLATE "C" NOT NULL,
    category     text NOT NULL REFERENCES lowincome_categories (code),
    since        date NOT NULL,
    decided_by   text NOT NULL,
    PRIMARY KEY (county_code, household_no, category),
    FOREIGN KEY (county_code, household_no) REFERENCES ledger_households (county_code, household_no)
);

-- Every change of a category, dated, with who and why; a request id makes a retry safe.
CREATE TABLE household_category_history (
    county_code  varchar(6) NOT NULL,
    id           bigserial NOT NULL,
    household_no varchar(32) COLLATE "C" NOT NULL,
    category     text NOT NULL REFERENCES lowincome_categories (code),
    change       text NOT NULL CHECK (change IN ('enter', 'leave')),
    on_date      date NOT NULL,
    actor        text NOT NULL,  -- the principal, or 'lead:<id>' for a civil-affairs lead
    department   text NOT NULL DEFAULT '',
    reason       text NOT NULL,
    request_id   text,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX household_category_history_request ON household_category_history (county_code, request_id)
    WHERE request_id IS NOT NULL;
CREATE INDEX household_category_history_household
    ON household_category_history (county_code, household_no, on_date);
CREATE INDEX household_category_history_on ON household_category_history (county_code, on_date);

-- The county's mode by effective date: 'separate' (as before 2026: monitoring only) or
-- 'unified' (one mechanism for monitored households and the rural low-income population). A
-- county without a row is 'separate'.
CREATE TABLE fangpin_modes (
    county_code    varchar(6) NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    effective_from date NOT NULL,
    mode           text NOT NULL CHECK (mode IN ('separate', 'unified')),
    set_by         text NOT NULL,
    set_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, effective_from)
);

-- Households the county's screening found likely in a low-income category, sent to civil affairs
-- for its decision with the facts; open until civil affairs enters the household into that
-- category (status 'confirmed', closed_by the civil-affairs key, closed_on its date).
CREATE TABLE lowincome_referrals (
    county_code    varchar(6) NOT NULL,
    id             bigserial NOT NULL,
    household_no   varchar(32) COLLATE "C" NOT NULL,
    village_code   varchar(12) COLLATE "C" NOT NULL,
    category       text NOT NULL REFERENCES lowincome_categories (code),
    case_id        bigint,
    found_on       date NOT NULL,
    facts          jsonb NOT NULL,
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed')),
    closed_by      text NOT NULL DEFAULT '',
    closed_on      date,
    PRIMARY KEY (county_code, id),
    FOREIGN KEY (county_code, household_no) REFERENCES ledger_households (county_code, household_no)
);
-- one open referral per household and category
CREATE UNIQUE INDEX lowincome_referrals_open ON lowincome_referrals (county_code, household_no, category)
    WHERE status = 'open';

-- civil affairs' exit from 低保 (the other kinds are in 002)
INSERT INTO lead_kinds (code, sender, name_zh, name_en, risk_types, amount) VALUES
  ('minzheng.dibao_exit', 'minzheng', '退出低保', 'left the minimum living allowance (低保)', '{other}', 'none');

INSERT INTO event_types (type, writer, region, meaning) VALUES
  ('category.entered', 'screening', 'village',
   'a household entered a low-income category: civil affairs confirmed it, or its lead did in the unified mode'),
  ('category.left', 'screening', 'village',
   'a household left a low-income category: civil affairs recorded it, or its lead did in the unified mode'),
  ('lowincome.referred', 'screening', 'village',
   'the county''s screening found the household likely in a low-income category and sent it to civil affairs');
INSERT INTO event_fields (type, field, ord, required, meaning) VALUES
  ('category.entered', 'household_no', 1, true, 'the household'),
  ('category.entered', 'category', 2, true, 'the category''s code (lowincome_categories)'),
  ('category.entered', 'on', 3, true, 'the date it took effect (YYYY-MM-DD)'),
  ('category.entered', 'by', 4, true, 'the principal, or lead:<id> for a civil-affairs lead'),
  ('category.left', 'household_no', 1, true, 'the household'),
  ('category.left', 'category', 2, true, 'the category''s code (lowincome_categories)'),
  ('category.left', 'on', 3, true, 'the date it took effect (YYYY-MM-DD)'),
  ('category.left', 'by', 4, true, 'the principal, or lead:<id> for a civil-affairs lead'),
  ('lowincome.referred', 'referral_id', 1, true, 'the referral (ListReferrals)'),
  ('lowincome.referred', 'household_no', 2, true, 'the household'),
  ('lowincome.referred', 'category', 3, true, 'the category it is likely in'),
  ('lowincome.referred', 'case_id', 4, false, 'the verification case whose screening found it');
