-- 002_intake: the lead catalog (risk types, department types, lead kinds), batches, leads and
-- the stored per-item results that make every SubmitLeads idempotent.

-- The national list of risk types (docs/policy.md, "Risk types"): a household has at most five, in order.
CREATE TABLE risk_types (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    name_zh text NOT NULL,
    name_en text NOT NULL,
    ord     smallint NOT NULL
);
INSERT INTO risk_types (code, name_zh, name_en, ord) VALUES
  ('illness', '因病', 'illness', 1),
  ('disability', '因残', 'disability', 2),
  ('schooling', '因学', 'schooling', 3),
  ('disaster', '因自然灾害', 'natural disaster', 4),
  ('accident', '因意外事故', 'accident', 5),
  ('industry_failure', '因产业(项目)失败', 'failed industry or project', 6),
  ('unstable_work', '因务工就业不稳', 'unstable work', 7),
  ('lack_of_labour', '缺劳动力', 'lack of labour', 8),
  ('housing', '因安全住房', 'housing safety', 9),
  ('water', '因安全饮水', 'drinking water', 10),
  ('other', '其他', 'other', 11);

-- The county line departments that push leads (行业部门), by a short national code.
CREATE TABLE department_types (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    name_zh text NOT NULL,
    name_en text NOT NULL
);
INSERT INTO department_types (code, name_zh, name_en) VALUES
  ('yibao', '医疗保障局', 'medical insurance bureau'),
  ('weijian', '卫生健康局', 'health commission'),
  ('minzheng', '民政局', 'civil affairs bureau'),
  ('jiaoyu', '教育局', 'education bureau'),
  ('zhujian', '住房和城乡建设局', 'housing and urban-rural development bureau'),
  ('shuiwu', '水利局', 'water resources bureau'),
  ('canlian', '残疾人联合会', 'disabled persons'' federation'),
  ('yingji', '应急管理局', 'emergency management bureau'),
  ('renshe', '人力资源和社会保障局', 'human resources and social security bureau'),
  ('gongan', '公安局', 'public security bureau'),
  ('nongye', '农业农村局', 'agriculture and rural affairs bureau');

-- Lead kinds: which sender may push each ("visit" = village actors, "self" = the self-report
-- gateway, otherwise a department code), the risk types it suggests, and its amount rule.
CREATE TABLE lead_kinds (
    code           text PRIMARY KEY CHECK (code ~ '^[a-z]+\.[a-z_]+$'),
    sender         text NOT NULL,
    name_zh        text NOT NULL,
    name_en        text NOT NULL,
    risk_types     text[] NOT NULL,
    amount         text NOT NULL DEFAULT 'none' CHECK (amount IN ('none', 'optional', 'required')),
    max_amount_fen bigint NOT NULL DEFAULT 100000000000 CHECK (max_amount_fen > 0),
    CHECK (left(code, length(sender) + 1) = sender || '.')
);
INSERT INTO lead_kinds (code, sender, name_zh, name_en, risk_types, amount) VALUES
  ('yibao.high_cost', 'yibao', '医疗费用个人负担较重', 'high out-of-pocket medical cost', '{illness}', 'required'),
  ('yibao.uninsured', 'yibao', '未参加基本医疗保险', 'not covered by basic medical insurance', '{illness}', 'none'),
  ('weijian.serious_illness', 'weijian', '患大病重病', 'serious or critical illness', '{illness}', 'optional'),
  ('minzheng.dibao_new', 'minzheng', '新纳入低保', 'newly granted minimum living allowance (低保)', '{other}', 'optional'),
  ('minzheng.tekun_new', 'minzheng', '新纳入特困供养', 'newly granted extreme-poverty support (特困)', '{lack_of_labour}', 'optional'),
  ('minzheng.temp_relief', 'minzheng', '临时救助', 'temporary relief granted', '{other}', 'required'),
  ('jiaoyu.dropout_risk', 'jiaoyu', '义务教育阶段辍学风险', 'risk of dropping out of compulsory education', '{schooling}', 'none'),
  ('zhujian.dangerous_house', 'zhujian', 'C级或D级危房', 'C- or D-rated dangerous house', '{housing}', 'none'),
  ('shuiwu.unsafe_water', 'shuiwu', '饮水安全不达标', 'unsafe drinking water', '{water}', 'none'),
  ('canlian.new_disability', 'canlian', '新办残疾证', 'new disability certificate', '{disability}', 'none'),
  ('yingji.disaster', 'yingji', '受灾', 'affected by a natural disaster', '{disaster}', 'optional'),
  ('renshe.job_loss', 'renshe', '失业', 'job loss', '{unstable_work}', 'none'),
  ('renshe.returned_migrant', 'renshe', '返乡务工人员', 'migrant worker returned home', '{unstable_work}', 'none'),
  ('gongan.member_death', 'gongan', '家庭成员死亡', 'death of a household member', '{lack_of_labour,accident}', 'none'),
  ('gongan.hukou_change', 'gongan', '户籍变动', 'household registration change', '{other}', 'none'),
  ('nongye.industry_failure', 'nongye', '产业失败或受损', 'failed industry or crop', '{industry_failure}', 'optional'),
  ('visit.income_drop', 'visit', '入户发现收入骤减', 'visit: sharp income drop', '{other}', 'optional'),
  ('visit.illness', 'visit', '入户发现患病', 'visit: illness found', '{illness}', 'optional'),
  ('visit.accident', 'visit', '入户发现意外事故', 'visit: accident', '{accident}', 'optional'),
  ('visit.housing', 'visit', '入户发现住房不安全', 'visit: unsafe housing', '{housing}', 'none'),
  ('visit.other', 'visit', '入户发现其他风险', 'visit: other risk', '{other}', 'optional'),
  ('self.hardship', 'self', '农户自主申报困难', 'self-report: hardship', '{other}', 'optional'),
  ('self.illness', 'self', '农户自主申报患病', 'self-report: illness', '{illness}', 'optional'),
  ('self.disaster', 'self', '农户自主申报受灾', 'self-report: disaster', '{disaster}', 'optional');

ALTER TABLE departments ADD FOREIGN KEY (code) REFERENCES department_types (code);

-- One row per submitted batch: the idempotency key and the summary.
CREATE TABLE lead_batches (
    county_code  varchar(6) NOT NULL,
    sender       text NOT NULL,               -- principal id from ZAP
    department_code text,                     -- for a department's batches
    batch_id     text NOT NULL,
    period       char(7) NOT NULL,
    content_hash text NOT NULL,               -- of the request's leads: a reused id with other content is refused
    leads        integer NOT NULL,
    accepted     integer NOT NULL,
    duplicates   integer NOT NULL,
    rejected     integer NOT NULL,
    -- the answer for every line, so a resent batch gets the identical answer: one line per
    -- lead, "idx<TAB>code<TAB>reason<TAB>lead_id<TAB>duplicate_of<TAB>line_ref" (one value per
    -- batch rather than one row per lead: a quarter of the writes of a batch)
    results      text NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sender, batch_id)
);
CREATE INDEX lead_batches_county_period ON lead_batches (county_code, period);

-- Accepted leads. The unique key makes "same person, kind and date from the same sender" a
-- duplicate across batches. status is kept up to date by screening (ListOutcomes).
CREATE TABLE leads (
    id              bigserial PRIMARY KEY,
    county_code     varchar(6) NOT NULL,
    village_code    varchar(12) COLLATE "C" NOT NULL,
    sender          text NOT NULL,
    department_code text,
    batch_id        text NOT NULL,
    line_no         integer NOT NULL,
    line_ref        text NOT NULL DEFAULT '',
    period          char(7) NOT NULL,
    kind            text NOT NULL REFERENCES lead_kinds (code),
    id_number       char(18) NOT NULL,
    name            text NOT NULL,
    occurred_on     date NOT NULL,
    amount_fen      bigint CHECK (amount_fen IS NULL OR amount_fen >= 0),
    detail          text NOT NULL DEFAULT '',
    received_at     timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'verifying', 'identified', 'not_included', 'unmatched')),
    status_reason   text NOT NULL DEFAULT '',
    status_at       timestamptz NOT NULL DEFAULT now(),
    screened_at     timestamptz,              -- set by screening; NULL = still to screen (catch-up)
    UNIQUE (county_code, sender, id_number, kind, occurred_on)
);
CREATE INDEX leads_unscreened ON leads (county_code, id) WHERE screened_at IS NULL;
CREATE INDEX leads_sender ON leads (sender, period, id);

-- Late-submission alerts raised, once per department and period.
CREATE TABLE submission_alerts (
    county_code varchar(6) NOT NULL,
    department  text NOT NULL,
    period      char(7) NOT NULL,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, department, period)
);
