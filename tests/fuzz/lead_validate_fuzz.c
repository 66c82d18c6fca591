/* lead_validate_fuzz.c: libFuzzer target for intake's pure validation core. The input is a
 * 20-byte header (sender, flags, today, limits, amount, which fields to take from the input)
 * and then NUL-separated fields of one lead. An all-zero header gives a valid lead, so every
 * mutation starts from one and the fuzzer reaches each check. Invariants: an accepted lead is consistent with the library's own parsers and with
 * the limits; a refusal is a catalogued, non-reserved code and leaves *ok untouched; the
 * result is deterministic; the batch check agrees with a naive model. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The module under test is compiled into the target, as in tests/unit/lead_validate_test.c. */
#include "../../services/intake/lead_validate.c"
#include "../../services/intake/kinds.c"

#define FZ_NFIELDS 8 /* id, name, village, kind, date, detail, line_ref, sender region */

static const struct {
    const char *code, *sender;
    intake_amount_mode_t amount;
    int64_t max;
} s_fz_kinds[] = {
    {"yibao.uninsured", "yibao", INTAKE_AMOUNT_NONE, 100000000000}, /* first: see the header */
    {"yibao.high_cost", "yibao", INTAKE_AMOUNT_REQUIRED, 100000000000},
    {"minzheng.temp_relief", "minzheng", INTAKE_AMOUNT_REQUIRED, 5000000},
    {"minzheng.dibao_new", "minzheng", INTAKE_AMOUNT_OPTIONAL, 100000000000},
    {"visit.illness", "visit", INTAKE_AMOUNT_OPTIONAL, 100000000000},
    {"visit.housing", "visit", INTAKE_AMOUNT_NONE, 100000000000},
    {"self.hardship", "self", INTAKE_AMOUNT_OPTIONAL, 1000},
    {"jiaoyu.dropout_risk", "jiaoyu", INTAKE_AMOUNT_NONE, 100000000000},
};
#define FZ_NKINDS (sizeof s_fz_kinds / sizeof s_fz_kinds[0])

static const char *const s_fz_villages[] = {
    "130822112204", "130822112201", "130822100202", "130821100013",
    "429006001001", "130822112000", "130822000000", "13082211220",
};

static const intake_sender_t s_fz_senders[8] = {
    {"department", "yibao", "130822", NULL, 0, NULL, NULL, NULL},
    {"department", "minzheng", "130822", NULL, 0, NULL, NULL, NULL},
    {"actor", "", "130822112", NULL, 0, NULL, NULL, NULL},
    {"actor", "", "130822112204", NULL, 0, NULL, NULL, NULL},
    {"actor", "", "130822", NULL, 0, NULL, NULL, NULL},
    {"gateway", "", "130822", NULL, 0, NULL, NULL, NULL},
    {"admin", "", "130822", NULL, 0, NULL, NULL, NULL},
    {"department", "visit", "130822", NULL, 0, NULL, NULL, NULL},
};

static bool s_fz_is_reserved(const char *why)
{
    return strcmp(why, INTAKE_R_VILLAGE_UNKNOWN) == 0 || strcmp(why, INTAKE_R_DUPLICATE_EARLIER) == 0 ||
        strcmp(why, INTAKE_R_DUPLICATE_IN_BATCH) == 0;
}

static void s_fz_accepted(const intake_lead_in_t *in, const intake_lead_ok_t *ok, const intake_sender_t *s,
                          const intake_catalog_t *cat, const intake_limits_t *lim, int32_t today)
{
    /* The ID number: parses, and is the input with x upper-cased. */
    fp_idcard_t id;
    if (fp_idcard_parse(ok->id_number, today, &id) != FP_OK) abort();
    if (strlen(in->id_number) != 18 || strncmp(ok->id_number, in->id_number, 17) != 0) abort();
    char last = in->id_number[17] == 'x' ? 'X' : in->id_number[17];
    if (ok->id_number[17] != last || ok->id_number[18] != '\0') abort();

    /* The name: 1..64 bytes, no ASCII digit, punctuation or control, no edge separator. */
    size_t nl = strlen(in->name);
    if (nl == 0 || nl > INTAKE_MAX_NAME_BYTES) abort();
    for (size_t i = 0; i < nl; i++) {
        unsigned char c = (unsigned char)in->name[i];
        if (c < 0x80 && c != ' ' && ((c | 0x20) < 'a' || (c | 0x20) > 'z')) abort();
    }
    if (in->name[0] == ' ' || in->name[nl - 1] == ' ' || strstr(in->name, "  ")) abort();

    /* The village: a village inside the sender's region. */
    char sh[13];
    fp_region_level_t lv;
    if (strcmp(ok->village, in->village_code) != 0 || strlen(ok->village) != 12) abort();
    if (fp_region_parse(ok->village, sh, &lv) != FP_OK || lv != FP_REGION_VILLAGE) abort();
    if (!s->region || !*s->region || !fp_region_within(ok->village, s->region)) abort();

    /* The kind: the catalog's, and this sender's. */
    if (ok->kind != intake_catalog_find(cat, in->kind) || !ok->kind) abort();
    if (strcmp(ok->kind->code, in->kind) != 0 || !intake_kind_allowed(ok->kind, s)) abort();
    if (strcmp(s->kind, "admin") == 0) abort();

    /* The date: parses to the same day, within [today - max_age, today]. */
    int32_t d;
    if (fp_date_parse(in->occurred_on, &d) != FP_OK || d != ok->occurred_days) abort();
    if (d > today || (int64_t)d < (int64_t)today - (lim->max_age_days < 0 ? 0 : lim->max_age_days)) abort();

    /* The amount rule of the kind. */
    if (in->has_amount) {
        if (ok->kind->amount == INTAKE_AMOUNT_NONE) abort();
        if (in->amount_fen < 0 || in->amount_fen > ok->kind->max_amount_fen) abort();
    } else {
        if (in->amount_fen != 0 || ok->kind->amount == INTAKE_AMOUNT_REQUIRED) abort();
    }

    /* Free text within its limits. */
    if (in->detail && strlen(in->detail) > lim->max_detail_bytes) abort();
    if (in->line_ref && strlen(in->line_ref) > lim->max_ref_bytes) abort();
    if (in->line_ref)
        for (const char *p = in->line_ref; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) abort();
}

/* The fields: the body (buf, a copy with a NUL appended) cut at every NUL; fields it does not
 * reach are NULL when absent bit 7 of h[0] says so, else "". */
static void s_fz_fields(const uint8_t h[20], char *buf, size_t blen, const char *field[FZ_NFIELDS])
{
    size_t nf = 0, pos = 0;
    while (nf < FZ_NFIELDS) {
        field[nf++] = buf + pos;
        if (pos >= blen) break;
        pos += strlen(buf + pos) + 1;
        if (pos > blen) break;
    }
    while (nf < FZ_NFIELDS) field[nf++] = (h[0] & 0x80) ? NULL : "";
}

/* The catalog, rebuilt each run (no global mutable state). */
static intake_catalog_t s_fz_catalog(intake_kind_t kinds[FZ_NKINDS])
{
    memset(kinds, 0, FZ_NKINDS * sizeof *kinds);
    for (size_t i = 0; i < FZ_NKINDS; i++) {
        strcpy(kinds[i].code, s_fz_kinds[i].code);
        strcpy(kinds[i].sender, s_fz_kinds[i].sender);
        kinds[i].amount = s_fz_kinds[i].amount;
        kinds[i].max_amount_fen = s_fz_kinds[i].max;
    }
    intake_catalog_t cat = {kinds, FZ_NKINDS, NULL, 0};
    intake_catalog_sort(&cat);
    return cat;
}

/* A valid ID number from h[17], h[18] (a lower-case x when bit 7 of h[1] says so). */
static void s_fz_good_id(const uint8_t h[20], char goodid[19])
{
    static const char *const regions[] = {"130822", "110105", "650100", "429006"};
    char d17[18];
    int y = 1930 + h[17] % 90, m = 1 + h[18] % 12, d = 1 + h[17] % 28;
    const char *r6 = regions[h[18] >> 6];
    memcpy(d17, r6, 6);
    d17[6] = (char)('0' + y / 1000);
    d17[7] = (char)('0' + y / 100 % 10);
    d17[8] = (char)('0' + y / 10 % 10);
    d17[9] = (char)('0' + y % 10);
    d17[10] = (char)('0' + m / 10);
    d17[11] = (char)('0' + m % 10);
    d17[12] = (char)('0' + d / 10);
    d17[13] = (char)('0' + d % 10);
    d17[14] = (char)('0' + h[18] % 10);
    d17[15] = (char)('0' + h[17] % 10);
    d17[16] = (char)('0' + (h[17] + h[18]) % 10);
    memcpy(goodid, d17, 17);
    goodid[17] = fp_idcard_check_char(d17);
    goodid[18] = '\0';
    if (goodid[17] == 'X' && (h[1] & 0x80)) goodid[17] = 'x';
}

/* The lead's check: a refusal is a catalogued reason and leaves the output alone; an accepted
 * lead is what the input said; the line_ref rule alone agrees; a second run gives the same. */
static void s_fz_check_lead(const intake_catalog_t *cat, const intake_sender_t *s, const intake_lead_in_t *in,
                            const intake_limits_t *lim, int32_t today)
{
    intake_lead_ok_t ok, before;
    memset(&ok, 0xA5, sizeof ok);
    memcpy(&before, &ok, sizeof ok);
    const char *why = intake_check_lead(cat, s, in, lim, today, &ok);
    if (why) {
        if (!intake_reason(why) || s_fz_is_reserved(why)) abort();
        if (memcmp(&ok, &before, sizeof ok) != 0) abort();
    } else {
        s_fz_accepted(in, &ok, s, cat, lim, today);
    }
    /* The line_ref rule alone agrees with the full check. */
    const char *rwhy = intake_check_line_ref(in->line_ref, lim);
    if (!why && rwhy) abort();
    if (why && strncmp(why, "line_ref.", 9) == 0 && rwhy != why) abort();
    intake_lead_ok_t again;
    const char *why2 = intake_check_lead(cat, s, in, lim, today, &again);
    if (why != why2) abort();
    if (!why &&
        (memcmp(ok.id_number, again.id_number, sizeof ok.id_number) != 0 ||
         memcmp(ok.village, again.village, sizeof ok.village) != 0 || ok.occurred_days != again.occurred_days ||
         ok.kind != again.kind))
        abort();
}

/* The batch header, from the name (as the id) and the date (as the period). */
static void s_fz_check_batch(const char *id, const char *period, size_t nleads, const intake_limits_t *lim,
                             int32_t today)
{
    fp_period_t p;
    const char *bwhy = intake_check_batch(id, period, nleads, lim, today, &p);
    if (bwhy && (!intake_reason(bwhy) || strncmp(bwhy, "batch.", 6) != 0)) abort();
    if (!bwhy) {
        size_t bl = strlen(id);
        if (bl == 0 || bl > 64 ||
            strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != bl)
            abort();
        fp_period_t now = fp_period_of(today);
        if (p.year * 12 + p.month > now.year * 12 + now.month) abort();
        if (nleads == 0 || nleads > (size_t)lim->max_leads) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* h[0]  bits 0-2 sender, 3 has_amount, 4 fix the input ID's check character, 5 kind from
     *        the input (else the list, h[1]), 6 village from the input (else the list, h[2]),
     *        7 absent fields are NULL, not ""
     * h[1]  kind index; bit 6 use the amount, bit 7 a lower-case x
     * h[3..4] today; h[5] max_age_days; h[6] max_leads and max_detail_bytes; h[7] max_ref_bytes
     *        and the batch's lead count; h[8..15] amount (little-endian)
     * h[16] take from the input (else a good value): bit 0 ID number, 1 name, 2 date, 3 detail,
     *        4 line_ref, 5 the 64-bit amount (else h[8] * 1000); h[17], h[18] the good values'
     *        parameters; h[19] bit 0 the good date is tomorrow */
    uint8_t h[20] = {0};
    size_t hn = size < sizeof h ? size : sizeof h;
    memcpy(h, data, hn);
    const uint8_t *body = data + hn;
    size_t blen = size - hn;

    char *buf = malloc(blen + 1);
    if (!buf) return 0;
    memcpy(buf, body, blen);
    buf[blen] = '\0';
    const char *field[FZ_NFIELDS];
    s_fz_fields(h, buf, blen, field);
    intake_kind_t kinds[FZ_NKINDS];
    intake_catalog_t cat = s_fz_catalog(kinds);

    intake_sender_t s = s_fz_senders[h[0] & 7];
    if (field[7] && *field[7]) s.region = field[7];

    /* Good values unless the header says to take the input's: a listed kind and village, a
     * generated ID number, name and date (below); an input ID may get its check character fixed. */
    char idbuf[19];
    const char *idf = field[0];
    if ((h[0] & 0x10) && idf && strlen(idf) == 18 && fp_idcard_check_char(idf)) {
        memcpy(idbuf, idf, 19);
        idbuf[17] = fp_idcard_check_char(idf);
        if (idbuf[17] == 'X' && (h[1] & 0x80)) idbuf[17] = 'x';
        idf = idbuf;
    }
    const char *kindf = (h[0] & 0x20) ? field[3] : s_fz_kinds[h[1] % FZ_NKINDS].code;
    const char *villf = (h[0] & 0x40) ? field[2] : s_fz_villages[h[2] % 8];

    int32_t today = fp_date_from_civil(2020, 1, 1) + (int32_t)(h[3] | (h[4] << 8)) % 4000;
    char goodid[19], gooddate[11];
    if (!(h[16] & 1)) {
        s_fz_good_id(h, goodid);
        idf = goodid;
    }
    if (!(h[16] & 2)) {
        static const char *const names[] = {"张三", "阿卜杜拉·艾合买提", "Abdulla Ahmat", "王〇"};
        field[1] = names[h[17] % 4];
    }
    if (!(h[16] & 4)) {
        fp_date_format((h[19] & 1) ? today + 1 : today - h[18], gooddate);
        field[4] = gooddate;
    }
    if (!(h[16] & 8)) field[5] = "";
    if (!(h[16] & 16)) field[6] = "";

    int64_t amount = 0;
    for (int i = 0; i < 8; i++) amount |= (int64_t)((uint64_t)h[8 + i] << (8 * i));
    if (!(h[16] & 32)) amount = (int64_t)h[8] * 1000;
    intake_lead_in_t in = {
        .id_number = idf,
        .name = field[1],
        .village_code = villf,
        .kind = kindf,
        .occurred_on = field[4],
        .detail = field[5],
        .line_ref = field[6],
        .amount_fen = (h[1] & 0x40) ? amount : 0,
        .has_amount = (h[0] & 0x08) != 0,
    };
    intake_limits_t lim = {(int)h[6], (int)h[5] * 4 - 8, h[6], h[7] % 80};
    s_fz_check_lead(&cat, &s, &in, &lim, today);
    s_fz_check_batch(field[1], field[4], h[7], &lim, today);

    free(buf);
    return 0;
}
