/* villagename.c: a village given by township and village names or by an address, matched
 * against one county's places (villagename.h). Pure. */
#include "villagename.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kindname.h"

/* Suffixes, longest first where one ends another. */
static const char *const s_village_suf[] = {"村民委员会", "居民委员会", "村委会", "居委会", NULL};
static const char *const s_village_tail[] = {"社区", "村", NULL};
static const char *const s_town_suf[] = {"街道办事处", "办事处", "街道", "苏木", "镇", "乡", NULL};
static const char *const s_above_suf[] = {"自治州", "自治县", "自治旗", "自治区", "省", "市",
                                          "县",     "区",     "旗",     "盟",     NULL};
/* Ethnic parts of place names (南天门满族乡, 宽城满族自治县). */
static const char *const s_ethnic[] = {"蒙古族", "朝鲜族", "土家族", "哈尼族", "达斡尔族", "布依族", "锡伯族", "满族",
                                       "回族",   "苗族",   "瑶族",   "壮族",   "彝族",     "藏族",   "侗族",   "畲族",
                                       "白族",   "傣族",   "黎族",   "土族",   "各族",     "民族",   NULL};
/* What may follow a village's core: the rest of its name, or a group number. */
static const char *const s_boundary[] = {"村", "社区", "居委会", "居民委员会", "组", "队", "一", "二", "三", "四",
                                         "五", "六",   "七",     "八",         "九", "十", "〇", "零", NULL};

/* The bytes of s's first character (up to 4), packed; 0 for "". */
static uint32_t s_lead(const char *s)
{
    uint32_t v = (unsigned char)s[0];
    for (int i = 1; i < 4 && ((unsigned char)s[i] & 0xC0) == 0x80; i++) v = v << 8 | (unsigned char)s[i];
    return v;
}

/* The length of p if s begins with it, else 0 (p not empty); inline: most calls fail at once. */
static size_t s_prefix(const char *s, const char *p)
{
    size_t i = 0;
    while (p[i] && s[i] == p[i]) i++;
    return p[i] ? 0 : i;
}

static bool s_starts(const char *s, const char *p) { return s_prefix(s, p) > 0; }

/* Cuts the first suffix of list that s ends with (leaving at least one byte); returns it or NULL. */
static const char *s_cut(char *s, const char *const *list)
{
    size_t n = strlen(s);
    for (size_t i = 0; list[i]; i++) {
        size_t k = strlen(list[i]);
        if (k < n && memcmp(s + n - k, list[i], k) == 0) {
            s[n - k] = '\0';
            return list[i];
        }
    }
    return NULL;
}

static void s_add_form(fp_vplace_t *p, const char *form)
{
    if (!form[0] || p->nforms >= FP_VNAME_FORMS || strlen(form) >= FP_VNAME_MAX) return;
    for (int i = 0; i < p->nforms; i++)
        if (strcmp(p->forms[i], form) == 0) return;
    memcpy(p->forms[p->nforms++], form, strlen(form) + 1);
}

/* A township's or a larger place's forms: the name, without its suffix, without an ethnic part. */
static void s_forms(fp_vplace_t *p, const char *norm, const char *const *sufs)
{
    char core[FP_VNAME_MAX];
    s_add_form(p, norm);
    memcpy(core, norm, strlen(norm) + 1);
    const char *suf = s_cut(core, sufs);
    if (suf) s_add_form(p, core);
    if (s_cut(core, s_ethnic)) {
        if (suf && strlen(core) + strlen(suf) < sizeof core) {
            char with[FP_VNAME_MAX];
            memcpy(with, core, strlen(core) + 1);
            strcat(with, suf);
            s_add_form(p, with);
        }
        s_add_form(p, core);
    }
}

/* A village's forms: its core (no suffix, no 村 or 社区), then its name as people write it
 * (花水村, 东关社区), which tells 东关村 from 东关社区 in one township. */
static void s_village_forms(fp_vplace_t *p, char *norm)
{
    const char *suf = s_cut(norm, s_village_suf);
    char full[FP_VNAME_MAX];
    memcpy(full, norm, strlen(norm) + 1);
    const char *tail = s_cut(norm, s_village_tail);
    p->community = tail ? !strcmp(tail, "社区") : (suf && s_starts(suf, "居"));
    if (!tail && suf && !p->community && strlen(full) + strlen("村") < sizeof full) strcat(full, "村");
    s_add_form(p, norm);
    s_add_form(p, full);
}

bool fp_village_index_add(fp_village_index_t *ix, const char *code, int level, const char *name)
{
    if (!ix || !code || !name || level < 1 || level > 5) return false;
    size_t clen = strlen(code);
    if (clen < 2 || clen > 12 || strspn(code, "0123456789") != clen) return false;
    char norm[FP_VNAME_MAX];
    if (!fp_kind_norm(name, norm, sizeof norm) || !norm[0]) return false;
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 64;
        fp_vplace_t *np = realloc(ix->places, cap * sizeof *np);
        if (np) ix->places = np;
        uint32_t *nl = np ? realloc(ix->lead, cap * sizeof *nl) : NULL;
        if (!nl) return false;
        ix->lead = nl;
        ix->cap = cap;
    }
    fp_vplace_t *p = &ix->places[ix->n];
    memset(p, 0, sizeof *p);
    memcpy(p->code, code, clen + 1);
    size_t nlen = strlen(name);
    if (nlen >= sizeof p->name) nlen = sizeof p->name - 1;
    while (nlen > 0 && ((unsigned char)name[nlen] & 0xC0) == 0x80) nlen--; /* cut between characters */
    memcpy(p->name, name, nlen);
    p->level = level;
    if (level == 5) {
        s_village_forms(p, norm);
    } else {
        s_forms(p, norm, level == 4 ? s_town_suf : s_above_suf);
    }
    if (p->nforms == 0) return false;
    ix->lead[ix->n++] = s_lead(p->forms[0]); /* every form begins with forms[0]'s first character */
    return true;
}

void fp_village_index_free(fp_village_index_t *ix)
{
    if (!ix) return;
    free(ix->places);
    free(ix->lead);
    *ix = (fp_village_index_t){0};
}

const fp_vplace_t *fp_village_township(const fp_village_index_t *ix, const fp_vplace_t *village)
{
    if (!ix || !village) return NULL;
    for (size_t i = 0; i < ix->n; i++)
        if (ix->places[i].level == 4 && memcmp(ix->places[i].code, village->code, 9) == 0) return &ix->places[i];
    return NULL;
}

/* --- matching --------------------------------------------------------------------------------- */

#define S_MAX_STARTS 16
#define S_MAX_CANDS 64

typedef struct {
    size_t place[S_MAX_CANDS], n, end;
} s_cands_t;

static void s_cand(s_cands_t *c, size_t place, size_t end)
{
    if (c->n && end < c->end) return;
    if (!c->n || end > c->end) {
        c->n = 0;
        c->end = end;
    }
    for (size_t i = 0; i < c->n; i++)
        if (c->place[i] == place) return;
    if (c->n < S_MAX_CANDS) c->place[c->n++] = place;
}

/* How far a village's form reaches into s (with a boundary after it), or 0. A 村 is not
 * followed by 社区 or 居委会, a community not by 村. */
static size_t s_village_at(const char *s, const char *form, bool community)
{
    size_t k = s_prefix(s, form);
    if (!k) return 0;
    const char *after = s + k;
    if (!*after || (*after >= '0' && *after <= '9')) return k;
    if (s_starts(after, community ? "村" : "社区") || (!community && s_starts(after, "居"))) return 0;
    for (size_t i = 0; s_boundary[i]; i++)
        if (s_starts(after, s_boundary[i])) return k;
    return 0;
}

/* Where a township or village may begin: 0, and after each prefix of province, prefecture and
 * county forms; of a place's forms that begin there, only the longest counts (兴隆县, not 兴隆
 * followed by 县). Returns how many (at least 1). */
static size_t s_starts_of(const fp_village_index_t *ix, const char *t, size_t pos[S_MAX_STARTS])
{
    size_t n = 1;
    pos[0] = 0;
    for (int level = 1; level <= 3; level++) {
        size_t have = n;
        for (size_t j = 0; j < have; j++)
            for (size_t i = 0, lead = s_lead(t + pos[j]); i < ix->n; i++) {
                if (ix->lead[i] != lead) continue;
                const fp_vplace_t *p = &ix->places[i];
                size_t len = 0, k = 0;
                for (int f = 0; p->level == level && f < p->nforms; f++) {
                    size_t l = s_prefix(t + pos[j], p->forms[f]);
                    if (l > len) len = l;
                }
                if (!len) continue;
                size_t at = pos[j] + len;
                while (k < n && pos[k] != at) k++;
                if (k == n && n < S_MAX_STARTS) pos[n++] = at;
            }
    }
    return n;
}

/* The villages of township town (by code) whose core follows at once in s. */
static void s_in_town(const fp_village_index_t *ix, const fp_vplace_t *town, const char *s, size_t base, s_cands_t *c)
{
    for (size_t i = 0, lead = s_lead(s); i < ix->n; i++) {
        if (ix->lead[i] != lead) continue;
        const fp_vplace_t *v = &ix->places[i];
        if (v->level != 5 || memcmp(v->code, town->code, 9) != 0) continue;
        for (int f = 0; f < v->nforms; f++) {
            size_t k = s_village_at(s, v->forms[f], v->community);
            if (k) s_cand(c, i, base + k);
        }
    }
}

static void s_match_norm(const fp_village_index_t *ix, const char *t, s_cands_t *c)
{
    size_t pos[S_MAX_STARTS], np = s_starts_of(ix, t, pos);
    for (size_t j = 0; j < np; j++) {
        const char *rest = t + pos[j];
        for (size_t i = 0, lead = s_lead(rest); i < ix->n; i++) {
            if (ix->lead[i] != lead) continue;
            const fp_vplace_t *p = &ix->places[i];
            if (p->level == 5) {
                for (int f = 0; f < p->nforms; f++) {
                    size_t k = s_village_at(rest, p->forms[f], p->community);
                    if (k) s_cand(c, i, pos[j] + k);
                }
                continue;
            }
            if (p->level != 4) continue;
            for (int f = 0; f < p->nforms; f++) {
                size_t k = s_prefix(rest, p->forms[f]);
                if (k) s_in_town(ix, p, rest + k, pos[j] + k, c);
            }
        }
    }
}

/* Sorts the candidates by code (few: an insertion sort). */
static void s_sort(const fp_village_index_t *ix, s_cands_t *c)
{
    for (size_t i = 1; i < c->n; i++) {
        size_t x = c->place[i], k = i;
        for (; k > 0 && strcmp(ix->places[c->place[k - 1]].code, ix->places[x].code) > 0; k--)
            c->place[k] = c->place[k - 1];
        c->place[k] = x;
    }
}

/* The text normalised into t, converted first when conv is given; false if it cannot be. */
static bool s_norm(const char *text, fp_village_conv_fn conv, void *ctx, char t[FP_VNAME_MAX])
{
    if (!conv) return fp_kind_norm(text, t, FP_VNAME_MAX);
    char simple[FP_VNAME_MAX * 2];
    return conv(ctx, text, simple, sizeof simple) && fp_kind_norm(simple, t, FP_VNAME_MAX);
}

static bool s_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return false;
    return true;
}

fp_village_match_t fp_village_match(const fp_village_index_t *ix, const char *text, fp_village_conv_fn conv,
                                    void *conv_ctx, size_t *out, size_t max, size_t *n)
{
    if (n) *n = 0;
    if (!ix || !text) return FP_VILLAGE_NONE;
    char t[FP_VNAME_MAX];
    s_cands_t c = {.n = 0};
    if (s_norm(text, NULL, NULL, t) && t[0]) s_match_norm(ix, t, &c);
    if (c.n == 0 && conv && !s_ascii(text)) {
        char t2[FP_VNAME_MAX];
        if (s_norm(text, conv, conv_ctx, t2) && t2[0] && strcmp(t, t2) != 0) s_match_norm(ix, t2, &c);
    }
    if (c.n == 0) return FP_VILLAGE_NONE;
    s_sort(ix, &c);
    size_t k = 0;
    for (; out && k < c.n && k < max; k++) out[k] = c.place[k];
    if (n) *n = k;
    return c.n == 1 ? FP_VILLAGE_ONE : FP_VILLAGE_AMBIGUOUS;
}

/* Higher score first, then lower code. */
static bool s_better(const fp_village_index_t *ix, size_t a, size_t sa, size_t b, size_t sb)
{
    return sa > sb || (sa == sb && strcmp(ix->places[a].code, ix->places[b].code) < 0);
}

/* The township a text (after its prefix) begins with, the longest form, and where its village
 * part begins; NULL (*from untouched) when it begins with none. */
static const fp_vplace_t *s_town_at(const fp_village_index_t *ix, const char *t, size_t *from)
{
    const fp_vplace_t *best = NULL;
    size_t len = 0;
    for (size_t i = 0; i < ix->n; i++) {
        const fp_vplace_t *p = &ix->places[i];
        for (int f = 0; p->level == 4 && f < p->nforms; f++) {
            size_t k = s_prefix(t, p->forms[f]);
            if (k > len) {
                best = p;
                len = k;
            }
        }
    }
    if (best) *from += len;
    return best;
}

size_t fp_village_closest(const fp_village_index_t *ix, const char *text, fp_village_conv_fn conv, void *conv_ctx,
                          size_t *out, size_t max)
{
    if (!ix || !text || !out || max == 0) return 0;
    char t[FP_VNAME_MAX];
    if (!s_norm(text, conv, conv_ctx, t) && !s_norm(text, NULL, NULL, t)) return 0;
    size_t pos[S_MAX_STARTS], np = s_starts_of(ix, t, pos), from = 0;
    for (size_t j = 0; j < np; j++)
        if (pos[j] > from) from = pos[j];
    const fp_vplace_t *town = s_town_at(ix, t + from, &from);
    const char *rest = t + from;
    size_t n = 0, score[16];
    if (max > 16) max = 16;
    for (size_t i = 0; i < ix->n; i++) {
        const fp_vplace_t *v = &ix->places[i];
        if (v->level != 5) continue;
        size_t s = 2 * fp_kind_shared(rest, v->forms[0]);
        if (s == 0) continue;
        if (town && memcmp(v->code, town->code, 9) == 0) s++;
        size_t k = n < max ? n++ : max;
        if (k == max && !s_better(ix, i, s, out[max - 1], score[max - 1])) continue;
        if (k == max) k = max - 1;
        while (k > 0 && s_better(ix, i, s, out[k - 1], score[k - 1])) { /* insertion, best first */
            out[k] = out[k - 1];
            score[k] = score[k - 1];
            k--;
        }
        out[k] = i;
        score[k] = s;
    }
    return n;
}
