-- 002_intake: the lead catalog (risk types, department types, lead kinds), batches, leads and
-- the stored per-item results that make every SubmitLeads idempotent.

-- The national list of risk types (DOMAIN.md): a household has at most five, in order.
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

-- SubmitLeads, the set-based part, run inside the service's transaction after it has COPYed
-- the batch into its session's intake_stage table (the pure checks already filled `reason` of
-- the lines they refused). In one statement: checks the villages exist, marks duplicates
-- inside the batch and against earlier batches, inserts the accepted leads and their
-- lead.accepted events, stores the answer for every line in the batch row, and returns it.
-- Returns a single row with idx = -1 when the batch already exists (a concurrent resend): the
-- caller rolls back and answers from the stored batch.
CREATE FUNCTION intake_apply(p_sender text, p_batch text, p_county text, p_period text,
                             p_hash text, p_dept text)
RETURNS TABLE (idx integer, line_ref text, code text, reason text, lead_id bigint, duplicate_of bigint)
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO lead_batches AS b (county_code, sender, department_code, batch_id, period, content_hash,
                                   leads, accepted, duplicates, rejected)
    VALUES (p_county, p_sender, nullif(p_dept, ''), p_batch, p_period, p_hash, 0, 0, 0, 0)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN QUERY SELECT -1, ''::text, ''::text, ''::text, NULL::bigint, NULL::bigint;
        RETURN;
    END IF;

    RETURN QUERY
    WITH checked AS (
        -- a scalar subquery per line is an index probe; NOT EXISTS inside CASE would hash the
        -- whole national regions table for every batch
        SELECT t.idx, t.line_ref, t.id_number, t.name, t.village_code, t.kind, t.occurred_on, t.amount_fen,
               t.detail,
               CASE WHEN t.reason <> '' THEN t.reason
                    WHEN (SELECT r.level FROM regions r WHERE r.code = t.village_code) IS DISTINCT FROM 5
                    THEN 'village.unknown' ELSE '' END AS why
          FROM intake_stage t),
    ranked AS (
        SELECT c.*, CASE WHEN c.why = '' THEN first_value(c.idx) OVER
                    (PARTITION BY c.why = '', c.id_number, c.kind, c.occurred_on ORDER BY c.idx) END AS first_idx
          FROM checked c),
    ins AS (
        -- A lead already received from this sender (same person, kind, date) is touched rather
        -- than skipped, so RETURNING gives its id too: xmax = 0 marks the rows inserted now.
        INSERT INTO leads AS l (county_code, village_code, sender, department_code, batch_id, line_no, line_ref,
                                period, kind, id_number, name, occurred_on, amount_fen, detail)
        SELECT p_county, r.village_code, p_sender, nullif(p_dept, ''), p_batch, r.idx, r.line_ref, p_period,
               r.kind, r.id_number, r.name, r.occurred_on, r.amount_fen, r.detail
          FROM ranked r WHERE r.first_idx = r.idx
         -- key order: two batches committing at once lock shared keys in the same order (no deadlock)
         ORDER BY r.id_number, r.kind, r.occurred_on
        ON CONFLICT (county_code, sender, id_number, kind, occurred_on) DO UPDATE SET county_code = l.county_code
        RETURNING l.id, l.id_number, l.kind, l.occurred_on, l.village_code, (l.xmax = 0) AS inserted),
    ev AS (
        INSERT INTO events (county_code, region_code, type, payload)
        SELECT p_county, i.village_code, 'lead.accepted',
               jsonb_build_object('lead_id', i.id, 'kind', i.kind, 'sender', p_sender, 'batch_id', p_batch,
                                  'period', p_period, 'occurred_on', i.occurred_on)
          FROM ins i WHERE i.inserted ORDER BY i.id),
    firsts AS (
        SELECT r.idx, i.id, i.inserted
          FROM ranked r JOIN ins i ON i.id_number = r.id_number AND i.kind = r.kind AND i.occurred_on = r.occurred_on
         WHERE r.first_idx = r.idx),
    res AS (
        SELECT r.idx, r.line_ref,
               CASE WHEN r.why <> '' THEN 'BAD_REQUEST' WHEN r.first_idx = r.idx AND f.inserted THEN 'OK'
                    ELSE 'DUPLICATE' END AS code,
               CASE WHEN r.why <> '' THEN r.why WHEN r.first_idx <> r.idx THEN 'duplicate.in_batch'
                    WHEN NOT f.inserted THEN 'duplicate.earlier' ELSE '' END AS reason,
               CASE WHEN r.why = '' AND r.first_idx = r.idx AND f.inserted THEN f.id END AS lead_id,
               CASE WHEN r.why = '' AND NOT (r.first_idx = r.idx AND f.inserted) THEN f.id END AS duplicate_of
          FROM ranked r LEFT JOIN firsts f ON f.idx = r.first_idx),
    upd AS (
        UPDATE lead_batches b SET
            leads = s.leads, accepted = s.accepted, duplicates = s.duplicates, rejected = s.rejected,
            results = s.results
          FROM (SELECT count(*) AS leads, count(*) FILTER (WHERE x.code = 'OK') AS accepted,
                       count(*) FILTER (WHERE x.code = 'DUPLICATE') AS duplicates,
                       count(*) FILTER (WHERE x.code = 'BAD_REQUEST') AS rejected,
                       string_agg(concat_ws(E'\t', x.idx, x.code, x.reason, coalesce(x.lead_id, 0),
                                            coalesce(x.duplicate_of, 0), x.line_ref), E'\n' ORDER BY x.idx) AS results
                  FROM res x) s
         WHERE b.sender = p_sender AND b.batch_id = p_batch)
    SELECT x.idx, x.line_ref, x.code, x.reason, x.lead_id, x.duplicate_of FROM res x ORDER BY x.idx;
END $$;

-- The stored answer of a batch as rows, for a resend and GetBatch. line_ref is last in each
-- line and the service keeps it free of tabs and newlines (intake_check_line_ref).
CREATE FUNCTION intake_batch_results(p_sender text, p_batch text)
RETURNS TABLE (idx integer, line_ref text, code text, reason text, lead_id bigint, duplicate_of bigint)
LANGUAGE sql STABLE AS $$
    SELECT f[1]::integer, f[6], f[2], f[3], nullif(f[4], '0')::bigint, nullif(f[5], '0')::bigint
      FROM lead_batches b,
           LATERAL regexp_split_to_table(b.results, E'\n') AS line,
           LATERAL regexp_split_to_array(line, E'\t') AS f
     WHERE b.sender = p_sender AND b.batch_id = p_batch AND b.results <> ''
     ORDER BY 1
$$;
