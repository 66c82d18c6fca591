/* support.c: what the shell's reads and changes share: quarters, and filling
 * the reply messages PlanSummary, Measure and MeasureCheck from the columns of ASSIST_*_SQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assist.h"
#include "date.h"
#include "measures.h"
#include "mem.h"

static int64_t s_i64(const char *s) { return s && *s ? strtoll(s, NULL, 10) : 0; }

void assist_quarter_of(int32_t day, char out[7])
{
    int y, m, d;
    fp_date_civil(day, &y, &m, &d);
    unsigned yy = (unsigned)y % 10000u, q = (unsigned)(m - 1) / 3u % 4u + 1u;
    snprintf(out, 7, "%04uQ%u", yy, q);
}

bool assist_quarter_parse(const char *s, int32_t *first, int32_t *last)
{
    if (!s || strlen(s) != 6 || s[4] != 'Q' || s[5] < '1' || s[5] > '4') return false;
    for (int i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    int y = atoi(s), q = s[5] - '0';
    if (y < 2000 || y > 2100) return false;
    *first = fp_date_from_civil(y, 3 * q - 2, 1);
    *last = fp_date_add_months(*first, 3) - 1;
    return true;
}

void assist_summary_fill(PGresult *res, int r, int c0, Fangpin__V1__PlanSummary *s, assist_summary_buf_t *b)
{
#define C(i) PQgetvalue(res, r, c0 + (i))
    fangpin__v1__plan_summary__init(s);
    memset(b, 0, sizeof *b);
    s->plan_id = s_i64(C(0));
    s->county_code = C(1);
    s->village_code = C(2);
    s->household_no = C(3);
    s->kind = C(4);
    s->case_id = s_i64(C(5));
    s->year = (int32_t)s_i64(C(6));
    s->monitored_kind = C(7);
    b->risks = fp_strdup(C(8));
    s->risk_types = b->rptrs;
    for (char *save = NULL, *t = strtok_r(b->risks, ",", &save); t && s->n_risk_types < 16;
         t = strtok_r(NULL, ",", &save))
        b->rptrs[s->n_risk_types++] = t;
    s->identified_on = C(9);
    s->opened_on = C(10);
    s->elim_state = C(11);
    s->elim_way = C(12);
    s->eliminated_on = C(13);
    s->backstop = !strcmp(C(14), "true");
    s->measures = (uint32_t)s_i64(C(15));
    s->measures_delivered = (uint32_t)s_i64(C(16));
    b->fcopy = fp_strdup(C(17));
    s->findings = b->fptrs;
    for (char *save = NULL, *t = strtok_r(b->fcopy, "\x1e", &save); t && s->n_findings < 16;
         t = strtok_r(NULL, "\x1e", &save)) {
        Fangpin__V1__PlanFinding *f = &b->f[s->n_findings];
        fangpin__v1__plan_finding__init(f);
        char *parts[4] = {t, NULL, NULL, NULL};
        for (int k = 1; k < 4 && parts[k - 1]; k++) {
            char *sep = strchr(parts[k - 1], '\x1f');
            if (!sep) break;
            *sep = '\0';
            parts[k] = sep + 1;
        }
        f->id = parts[0];
        f->zh = parts[1] ? parts[1] : (char *)"";
        f->seen = parts[2] ? parts[2] : (char *)"";
        f->why_zh = parts[3] ? parts[3] : (char *)"";
        b->fptrs[s->n_findings++] = f;
    }
    s->notice_posted_on = C(18);
    s->objections = (uint32_t)s_i64(C(19));
    s->updated_at_ms = s_i64(C(20));
#undef C
}

void assist_summary_buf_free(assist_summary_buf_t *b)
{
    free(b->risks);
    free(b->fcopy);
    b->risks = b->fcopy = NULL;
}

void assist_measure_fill(PGresult *res, int r, int c0, Fangpin__V1__Measure *m)
{
#define C(i) PQgetvalue(res, r, c0 + (i))
    fangpin__v1__measure__init(m);
    m->measure_id = s_i64(C(0));
    m->plan_id = s_i64(C(1));
    m->category = C(2);
    m->title = C(3);
    m->responsible_unit = C(4);
    m->start_on = C(5);
    m->end_on = C(6);
    m->amount_fen = s_i64(C(7));
    m->status = C(8);
    m->stop_reason = C(9);
    m->status_on = C(10);
    m->checked_quarter = C(11);
    assist_category_t cat;
    m->runs_past_elimination = assist_category_from_code(m->category, &cat) && assist_runs_past_elimination(cat);
#undef C
}

void assist_check_fill(PGresult *res, int r, int c0, Fangpin__V1__MeasureCheck *k)
{
#define C(i) PQgetvalue(res, r, c0 + (i))
    fangpin__v1__measure_check__init(k);
    k->check_id = s_i64(C(0));
    k->measure_id = s_i64(C(1));
    k->quarter = C(2);
    k->checked_on = C(3);
    k->actor = C(4);
    k->level = C(5);
    k->result = C(6);
    k->finding = C(7);
#undef C
}
