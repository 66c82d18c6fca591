/* findings.c: the plan checks (plan_check.c, P01..) on the stored data. One query reads each
 * plan's facts: its risks, opening and elimination days, the household's members and labour from
 * the ledger (members present: left_on IS NULL; labour 'normal' or 'weak' counts), its measures,
 * and the parameters in force (plan_empty_days, elimination_min_months via fp_param on the
 * village and today). assist_plan_check() decides; one statement stores every changed result on
 * plans.findings. The findings are derived data: storing them writes no history and no event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assist.h"
#include "date.h"
#include "log.h"
#include "mem.h"
#include "plan_check.h"

typedef struct {
    fp_db_t *db;
    int32_t today;
    assist_findings_done_fn done;
    void *arg;
} s_ref_t;

static void s_end(s_ref_t *f, bool ok)
{
    f->done(ok, f->arg);
    free(f);
}

static void s_on_stored(fp_db_t *db, PGresult *res, void *arg)
{
    s_ref_t *f = arg;
    if (res && PQresultStatus(res) != PGRES_COMMAND_OK)
        fp_log_error("storing plan findings failed", "error", fp_db_errmsg(res));
    s_end(f, res && PQresultStatus(res) == PGRES_COMMAND_OK);
}

static assist_mstatus_t s_mstatus_of(const char *code)
{
    for (int s = 0; s < ASSIST_MS_COUNT_; s++)
        if (!strcmp(code, assist_mstatus_code((assist_mstatus_t)s))) return (assist_mstatus_t)s;
    return ASSIST_MS_COUNT_;
}

static int32_t s_date(const char *s, int32_t dflt)
{
    int32_t d;
    return s && *s && fp_date_parse(s, &d) == FP_OK ? d : dflt;
}

/* "category:status:start:end:amount;..." into ms (at most max); the count parsed. */
static size_t s_measures(const char *text, assist_measure_t *ms, size_t max)
{
    size_t n = 0;
    char *copy = fp_strdup(text);
    for (char *save = NULL, *t = strtok_r(copy, ";", &save); t && n < max; t = strtok_r(NULL, ";", &save)) {
        char *f[5] = {0};
        size_t k = 0;
        for (char *p = t; k < 5; k++) {
            f[k] = p;
            p = strchr(p, ':');
            if (!p) break;
            *p++ = '\0';
        }
        if (k < 4) continue;
        assist_measure_t *m = &ms[n];
        if (!assist_category_from_code(f[0], &m->category)) continue;
        m->status = s_mstatus_of(f[1]);
        if (m->status == ASSIST_MS_COUNT_) continue;
        m->start_on = s_date(f[2], ASSIST_NO_DATE);
        m->end_on = s_date(f[3], ASSIST_NO_DATE);
        m->amount_fen = strtoll(f[4], NULL, 10);
        n++;
    }
    free(copy);
    return n;
}

#define S_MAX_MEASURES 256

/* The household of row r of the plan facts (s_on_facts' columns). */
static void s_household(PGresult *res, int r, int32_t opened_on, int32_t today, assist_household_t *out)
{
#define C(i) PQgetvalue(res, r, i)
    assist_household_t h;
    memset(&h, 0, sizeof h);
    h.members = atoi(C(6));
    h.members_with_labour = atoi(C(7));
    char *risks = fp_strdup(C(3));
    for (char *save = NULL, *t = strtok_r(risks, ",", &save); t && h.n_risks < SCREEN_MAX_RISKS;
         t = strtok_r(NULL, ",", &save)) {
        screen_risk_t rk = screen_risk_from_code(t);
        bool dup = false;
        for (size_t i = 0; i < h.n_risks; i++) dup = dup || h.risks[i] == rk;
        if (rk != SCREEN_RISK_NONE && !dup) h.risks[h.n_risks++] = rk;
    }
    free(risks);
    h.identified_on = s_date(C(2), opened_on);
    h.eliminated = !strcmp(C(4), "eliminated");
    h.eliminated_on = s_date(C(5), today);
    h.populations = h.eliminated ? 0 : ASSIST_SERVES_MONITORED;
    char *cats = fp_strdup(C(11));
    for (char *save = NULL, *t = strtok_r(cats, ",", &save); t; t = strtok_r(NULL, ",", &save))
        h.populations |= assist_serves_bit(t);
    free(cats);
    *out = h;
#undef C
}

/* Rows: id, opened_on, identified_on, risks, elim_state, eliminated_on, members, with labour,
 * measures, plan_empty_days, elimination_min_months, the household's low-income categories. */
static void s_on_facts(fp_db_t *db, PGresult *res, void *arg)
{
    s_ref_t *f = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("reading plan facts failed", "error", fp_db_errmsg(res));
        s_end(f, false);
        return;
    }
    int n = PQntuples(res);
    if (n == 0) {
        s_end(f, true);
        return;
    }
    assist_measure_t *ms = fp_calloc(S_MAX_MEASURES, sizeof *ms);
    assist_findings_t *out = fp_new(assist_findings_t);
    fp_buf_t json = {0};
    fp_buf_puts(&json, "[");
    int stored = 0;
    for (int r = 0; r < n; r++) {
#define C(i) PQgetvalue(res, r, i)
        assist_plan_t pl = {s_date(C(1), 0), ms, s_measures(C(8), ms, S_MAX_MEASURES)};
        assist_household_t h;
        s_household(res, r, pl.opened_on, f->today, &h);
        assist_check_params_t p = ASSIST_CHECK_PARAMS_DEFAULT;
        if (*C(9)) p.empty_plan_days = atoi(C(9));
        if (*C(10)) p.min_months_to_elim = atoi(C(10));
        if (h.members < 1) { /* nobody left in the ledger: the checks have no household to read */
            fp_log_warn("plan checks skipped: no member present in the ledger", "plan_id", C(0));
            continue;
        }
        if (h.members > 99) h.members = 99;
        if (h.members_with_labour > h.members) h.members_with_labour = h.members;
        fp_err_t e = assist_plan_check(&pl, &h, &p, f->today, out);
        if (e != FP_OK) {
            fp_log_warn("plan checks could not run on this plan", "plan_id", C(0), "error", fp_strerror(e));
            continue;
        }
        fp_buf_printf(&json, "%s{\"id\":%s,\"f\":[", stored++ ? "," : "", C(0));
        for (size_t i = 0; i < out->n; i++) {
            const assist_finding_t *x = &out->f[i];
            const char *zh = "";
            for (size_t k = 0; k < assist_checks_count; k++)
                if (!strcmp(assist_checks[k].id, x->id)) zh = assist_checks[k].zh;
            fp_buf_printf(&json, "%s{\"id\":", i ? "," : "");
            fp_buf_json_str(&json, x->id);
            fp_buf_puts(&json, ",\"zh\":");
            fp_buf_json_str(&json, zh);
            fp_buf_puts(&json, ",\"seen\":");
            fp_buf_json_str(&json, x->seen);
            fp_buf_puts(&json, ",\"why_zh\":");
            fp_buf_json_str(&json, x->why_zh);
            fp_buf_puts(&json, "}");
        }
        fp_buf_puts(&json, "]}");
#undef C
    }
    fp_buf_puts(&json, "]");
    free(ms);
    free(out);
    const char *p[1] = {json.data};
    fp_db_query(db, FP_DB_FRONT,
                "UPDATE plans p SET findings = d.f, findings_at = now()"
                " FROM jsonb_to_recordset($1::jsonb) AS d(id bigint, f jsonb)"
                " WHERE p.id = d.id AND p.findings IS DISTINCT FROM d.f",
                1, p, s_on_stored, f);
    fp_buf_free(&json);
}

void assist_findings_refresh(fp_db_t *db, int flags, const char *prefix, int64_t plan_id, int32_t today,
                             assist_findings_done_fn done, void *arg)
{
    s_ref_t *f = fp_new(s_ref_t);
    f->db = db;
    f->today = today;
    f->done = done;
    f->arg = arg;
    char id[24], day[11];
    snprintf(id, sizeof id, "%lld", (long long)plan_id);
    fp_date_format(today, day);
    const char *p[3] = {prefix, id, day};
    fp_db_query(
        db, flags,
        "SELECT p.id::text, to_char(p.opened_on, 'YYYY-MM-DD'), coalesce(to_char(p.identified_on, 'YYYY-MM-DD'), ''),"
        " array_to_string(p.risk_types, ','), p.elim_state, coalesce(to_char(p.eliminated_on, 'YYYY-MM-DD'), ''),"
        " coalesce(hm.members, 0)::text, coalesce(hm.labour, 0)::text,"
        " coalesce((SELECT string_agg(concat_ws(':', m.category, m.status, to_char(m.start_on, 'YYYY-MM-DD'),"
        "   coalesce(to_char(m.end_on, 'YYYY-MM-DD'), ''), m.amount_fen::text), ';' ORDER BY m.id)"
        "   FROM measures m WHERE m.county_code = p.county_code AND m.plan_id = p.id), ''),"
        " coalesce(fp_param('plan_empty_days', p.village_code, $3::date)::int::text, ''),"
        " coalesce(fp_param('elimination_min_months', p.village_code, $3::date)::int::text, ''),"
        " coalesce((SELECT string_agg(hc.category, ',') FROM household_categories hc"
        "   WHERE hc.county_code = p.county_code AND hc.household_no = p.household_no), '')"
        " FROM plans p LEFT JOIN LATERAL (SELECT count(*) AS members,"
        "   count(*) FILTER (WHERE lm.labour IN ('normal', 'weak')) AS labour FROM ledger_members lm"
        "   WHERE lm.county_code = p.county_code AND lm.household_no = p.household_no AND lm.left_on IS NULL) hm"
        "  ON true"
        " WHERE p.village_code LIKE $1 || '%' AND ($2::bigint = 0 OR p.id = $2::bigint) ORDER BY p.id",
        3, p, s_on_facts, f);
}
