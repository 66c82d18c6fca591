/* kinds.c: a lead kind by code, Chinese name or alias for intake (domain/kindname.h over the
 * lead-kind catalogue): the catalogue's keys, the resolution of a lead's kind, and kind.unknown's
 * message naming the closest kinds the sender may push. Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lead_validate.h"
#include "mem.h"

void intake_catalog_index(intake_catalog_t *c)
{
    if (!c) return;
    free(c->keys);
    c->keys = fp_calloc(c->nkinds ? c->nkinds * 2 : 1, sizeof *c->keys);
    c->nkeys = 0;
    for (size_t i = 0; i < c->nkinds; i++) {
        fp_kind_key_t *k = &c->keys[c->nkeys];
        if (fp_kind_norm(c->kinds[i].code, k->norm, sizeof k->norm) && k->norm[0]) {
            k->kind = i;
            k->via = FP_KIND_VIA_CODE;
            c->nkeys++;
        }
        k = &c->keys[c->nkeys];
        if (fp_kind_norm(c->kinds[i].name_zh, k->norm, sizeof k->norm) && k->norm[0]) {
            k->kind = i;
            k->via = FP_KIND_VIA_NAME;
            c->nkeys++;
        }
    }
}

void intake_catalog_free(intake_catalog_t *c)
{
    if (!c) return;
    free(c->kinds);
    free(c->keys);
    *c = (intake_catalog_t){0};
}

const intake_kind_t *intake_kind_resolve(const intake_catalog_t *c, const intake_sender_t *s, const char *text)
{
    const intake_kind_t *k = intake_catalog_find(c, text);
    if (k || !c || !c->keys) return k;
    char norm[FP_KIND_NORM_MAX];
    if (!fp_kind_norm(text, norm, sizeof norm) || !norm[0]) return NULL;
    size_t i;
    fp_kind_match_t m = fp_kind_match(c->keys, c->nkeys, norm, &i);
    if (m == FP_KIND_NONE && s) m = fp_kind_match(s->aliases, s->naliases, norm, &i);
    return m == FP_KIND_ONE && i < c->nkinds ? &c->kinds[i] : NULL;
}

size_t intake_kind_unknown_message(const intake_catalog_t *c, const intake_sender_t *s, const char *text, char *en,
                                   size_t en_size, char *zh, size_t zh_size)
{
    const intake_reason_t *r = intake_reason(INTAKE_R_KIND_UNKNOWN);
    size_t best[3], n = 0;
    char norm[FP_KIND_NORM_MAX];
    if (c && c->keys && c->nkinds && fp_kind_norm(text, norm, sizeof norm)) {
        bool *ok = fp_calloc(c->nkinds, sizeof *ok);
        for (size_t i = 0; i < c->nkinds; i++) ok[i] = intake_kind_allowed(&c->kinds[i], s);
        n = fp_kind_closest(c->keys, c->nkeys, ok, c->nkinds, norm, best, 3);
        free(ok);
    }
    int le = snprintf(en, en_size, "%s%s", r->en, n ? "; the closest kinds you may send:" : "");
    int lz = snprintf(zh, zh_size, "%s%s", r->zh, n ? "；最接近的可报送类型：" : "");
    for (size_t i = 0; i < n; i++) {
        const intake_kind_t *k = &c->kinds[best[i]];
        if (le >= 0 && (size_t)le < en_size)
            le += snprintf(en + le, en_size - (size_t)le, "%s %s (%s)", i ? "," : "", k->code, k->name_zh);
        if (lz >= 0 && (size_t)lz < zh_size)
            lz += snprintf(zh + lz, zh_size - (size_t)lz, "%s%s（%s）", i ? "、" : "", k->name_zh, k->code);
    }
    return n;
}
