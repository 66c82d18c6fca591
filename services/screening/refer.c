/* refer.c: the households a screened batch finds likely in a low-income category (categories.h).
 * lowincome_candidates() gives, for the batch's cases in a county unified on the case's date,
 * the case's income figures, the household's categories now and the parameters in force; the
 * domain's rules (domain/lowincome.c) decide; lowincome_refer() stores what they found. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "categories.h"
#include "lowincome.h"

static int64_t s_i64(PGresult *res, int r, int c)
{
    return PQgetisnull(res, r, c) ? 0 : strtoll(PQgetvalue(res, r, c), NULL, 10);
}

static bool s_true(PGresult *res, int r, int c) { return PQgetvalue(res, r, c)[0] == 't'; }

/* Columns: case_id, per_capita_fen, net_fen, rigid_fen, in_dibao, in_tekun, in_edge, in_rigid,
 * standard_fen, multiple_pct, disposable_fen, then the quarter's visit record (NULL without one):
 * visit_id, per-capita and net income, medical, education and other rigid spending. With a
 * record, its income is the household's and the rigid spending is lowincome_rigid() of it and
 * the case's medical figure: one record read by every category's rules. */
int screen_refer_json(PGresult *res, fp_buf_t *json)
{
    int found = 0;
    fp_buf_puts(json, "[");
    for (int r = 0; r < PQntuples(res); r++) {
        li_facts_t f = {.per_capita_income = s_i64(res, r, 1),
                        .total_income = s_i64(res, r, 2),
                        .rigid_spending = s_i64(res, r, 3),
                        .in_dibao = s_true(res, r, 4),
                        .in_tekun = s_true(res, r, 5),
                        .in_dibao_edge = s_true(res, r, 6),
                        .in_rigid = s_true(res, r, 7)};
        bool visited = !PQgetisnull(res, r, 11);
        if (visited) {
            f.per_capita_income = s_i64(res, r, 12);
            f.total_income = s_i64(res, r, 13);
            f.rigid_spending = lowincome_rigid(s_i64(res, r, 14), s_i64(res, r, 15), s_i64(res, r, 16), f.rigid_spending);
        }
        li_params_t p = {.dibao_standard = s_i64(res, r, 8),
                         .edge_multiple_pct = (int32_t)s_i64(res, r, 9),
                         .disposable_income = s_i64(res, r, 10)};
        unsigned likely = lowincome_likely(&f, &p, NULL);
        static const struct {
            unsigned bit;
            const char *category;
        } cats[] = {{LI_LIKELY_DIBAO_EDGE, "dibao_edge"}, {LI_LIKELY_RIGID, "rigid_spending"}};
        for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++) {
            if (!(likely & cats[i].bit)) continue;
            fp_buf_printf(json,
                          "%s{\"case_id\":%s,\"category\":\"%s\",\"facts\":{\"per_capita_fen\":%" PRId64
                          ",\"net_fen\":%" PRId64 ",\"rigid_fen\":%" PRId64 ",\"standard_fen\":%" PRId64
                          ",\"multiple_pct\":%" PRId32 ",\"disposable_fen\":%" PRId64 ",\"visit_id\":%s}}",
                          found ? "," : "", PQgetvalue(res, r, 0), cats[i].category, f.per_capita_income,
                          f.total_income, f.rigid_spending, p.dibao_standard, p.edge_multiple_pct, p.disposable_income,
                          visited ? PQgetvalue(res, r, 11) : "0");
            found++;
        }
    }
    fp_buf_puts(json, "]");
    return found;
}
