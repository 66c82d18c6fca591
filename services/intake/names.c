/* names.c: what a batch that names kinds and villages reads per batch, and the refusals that
 * name villages. The sender's department's kind aliases (kind_aliases, read for every batch of a
 * department, so that an alias added while intake runs serves the next batch); the county's
 * places for villages by name (domain/villagename.h), read from the region table only for a
 * batch that names a village by name or address (a batch of codes reads nothing), in one query
 * of a few hundred rows, so a region import serves the next batch and no cache needs keeping;
 * and the messages of village.ambiguous (the candidates) and village.unknown (the closest
 * villages). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "log.h"
#include "mem.h"

bool intake_villages_needed(const Fangpin__V1__SubmitLeads *sl)
{
    for (size_t i = 0; sl && i < sl->n_leads; i++)
        if (intake_village_by_name(sl->leads[i]->village_code)) return true;
    return false;
}

typedef struct {
    fp_village_index_t *ix;
    const intake_catalog_t *cat;
    fp_kind_key_t **keys;
    size_t *nkeys;
    intake_loaded_fn done;
    void *arg;
} s_load_t;

/* The result's state: false (done called, l freed) unless it holds rows. */
static bool s_rows(s_load_t *l, PGresult *res, const char *what)
{
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) return true;
    if (res) fp_log_error(what, "error", fp_db_errmsg(res));
    intake_loaded_fn done = l->done;
    void *arg = l->arg;
    free(l);
    done(arg, res ? INTAKE_LOAD_FAILED : INTAKE_LOAD_GONE);
    return false;
}

/* (alias, kind) rows as catalogue keys (FP_KIND_VIA_ALIAS). */
static void s_on_aliases(fp_db_t *db, PGresult *res, void *arg)
{
    s_load_t *l = arg;
    if (!s_rows(l, res, "reading kind aliases failed")) return;
    int n = PQntuples(res);
    *l->keys = fp_calloc((size_t)(n ? n : 1), sizeof **l->keys);
    for (int r = 0; r < n; r++) {
        const intake_kind_t *k = intake_catalog_find(l->cat, PQgetvalue(res, r, 1));
        fp_kind_key_t *a = &(*l->keys)[*l->nkeys];
        if (!k || !fp_kind_norm(PQgetvalue(res, r, 0), a->norm, sizeof a->norm) || !a->norm[0]) continue;
        a->kind = (size_t)(k - l->cat->kinds);
        a->via = FP_KIND_VIA_ALIAS;
        (*l->nkeys)++;
    }
    intake_loaded_fn done = l->done;
    void *done_arg = l->arg;
    free(l);
    done(done_arg, INTAKE_LOAD_OK);
}

void intake_aliases_load(fp_db_t *db, const intake_catalog_t *cat, const char *county, const char *dept,
                         fp_kind_key_t **keys, size_t *nkeys, intake_loaded_fn done, void *arg)
{
    if (!dept || !dept[0]) {
        done(arg, INTAKE_LOAD_OK);
        return;
    }
    s_load_t *l = fp_new(s_load_t);
    *l = (s_load_t){.cat = cat, .keys = keys, .nkeys = nkeys, .done = done, .arg = arg};
    const char *p[2] = {county, dept};
    fp_db_query(db, 0, "SELECT alias, kind FROM kind_aliases WHERE county_code = $1 AND department_code = $2", 2, p,
                s_on_aliases, l);
}

static void s_on_places(fp_db_t *db, PGresult *res, void *arg)
{
    s_load_t *lp = arg;
    if (!s_rows(lp, res, "reading the county's villages failed")) return;
    s_load_t l = *lp;
    free(lp);
    for (int r = 0; r < PQntuples(res); r++)
        fp_village_index_add(l.ix, PQgetvalue(res, r, 0), atoi(PQgetvalue(res, r, 1)), PQgetvalue(res, r, 2));
    l.done(l.arg, INTAKE_LOAD_OK);
}

void intake_villages_load(fp_db_t *db, const char *county, fp_village_index_t *ix, intake_loaded_fn done, void *arg)
{
    s_load_t *l = fp_new(s_load_t);
    *l = (s_load_t){.ix = ix, .done = done, .arg = arg};
    const char *p[1] = {county};
    /* the county's province, prefecture and itself, then its townships and villages (an index
     * range on the code: C collation, digits sort before 'a') */
    fp_db_query(db, 0,
                "SELECT code, level, name FROM regions WHERE code IN (left($1, 2), left($1, 4), $1)"
                " OR (code > $1 AND code < $1 || 'a' AND level IN (4, 5)) ORDER BY code",
                1, p, s_on_places, l);
}

/* "三道河镇花水村民委员会（130822112201）" into zh and "130822112201 花水村民委员会 (三道河镇)" into en. */
static void s_append(const fp_village_index_t *ix, size_t i, bool first, char *en, size_t en_size, int *le, char *zh,
                     size_t zh_size, int *lz)
{
    const fp_vplace_t *v = &ix->places[i], *t = fp_village_township(ix, v);
    if (*le >= 0 && (size_t)*le < en_size)
        *le += snprintf(en + *le, en_size - (size_t)*le, "%s %s %s (%s)", first ? "" : ",", v->code, v->name,
                        t ? t->name : "");
    if (*lz >= 0 && (size_t)*lz < zh_size)
        *lz += snprintf(zh + *lz, zh_size - (size_t)*lz, "%s%s%s（%s）", first ? "" : "、", t ? t->name : "", v->name,
                        v->code);
}

size_t intake_village_message(const fp_village_index_t *ix, intake_hant_t *h, const char *reason, const char *text,
                              char *en, size_t en_size, char *zh, size_t zh_size)
{
    const intake_reason_t *r = intake_reason(reason);
    size_t found[INTAKE_VILLAGE_NAMED], n = 0;
    bool ambiguous = r && !strcmp(r->code, INTAKE_R_VILLAGE_AMBIGUOUS);
    bool unknown = r && !strcmp(r->code, INTAKE_R_VILLAGE_UNKNOWN);
    if (ix && text && ambiguous)
        fp_village_match(ix, text, h ? intake_hant_t2s : NULL, h, found, INTAKE_VILLAGE_NAMED, &n);
    else if (ix && text && unknown && intake_village_by_name(text))
        n = fp_village_closest(ix, text, h ? intake_hant_t2s : NULL, h, found, 3);
    if (!r) reason = reason ? reason : "";
    int le = snprintf(en, en_size, "%s%s", r ? r->en : reason,
                      !n              ? ""
                          : ambiguous ? "; the villages of that name:"
                                      : "; the closest villages:");
    int lz = snprintf(zh, zh_size, "%s%s", r ? r->zh : reason, !n ? "" : ambiguous ? "；同名的村：" : "；最接近的村：");
    for (size_t i = 0; i < n; i++) s_append(ix, found[i], i == 0, en, en_size, &le, zh, zh_size, &lz);
    return n;
}
