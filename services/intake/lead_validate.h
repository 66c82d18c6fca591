/* lead_validate.h: the pure validation core of the intake service: the lead-kind catalog and
 * who may push which kind, the checks of a SubmitLeads header and of each lead (each failure
 * a stable reason code with an English and a Chinese message). */
#ifndef INTAKE_LEAD_VALIDATE_H
#define INTAKE_LEAD_VALIDATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "kindname.h"
#include "reason.h"
#include "villagename.h"

/* --- reason codes ---------------------------------------------------------------------------
 * Stable strings: they are stored (lead_batches.results) and sent to clients. Every code
 * returned by this module is one of these; the "reserved" ones are set by the service. */
#define INTAKE_R_BATCH_ID "batch.id"
#define INTAKE_R_BATCH_PERIOD "batch.period"
#define INTAKE_R_BATCH_PERIOD_FUTURE "batch.period_future"
#define INTAKE_R_BATCH_EMPTY "batch.empty"
#define INTAKE_R_BATCH_TOO_MANY "batch.too_many"
#define INTAKE_R_IDCARD_MISSING "idcard.missing"
#define INTAKE_R_IDCARD_FORMAT "idcard.format"
#define INTAKE_R_IDCARD_PROVINCE "idcard.province"
#define INTAKE_R_IDCARD_LEGACY15 "idcard.legacy15"
#define INTAKE_R_IDCARD_CHECKSUM "idcard.checksum"
#define INTAKE_R_IDCARD_BIRTH_DATE "idcard.birth_date"
#define INTAKE_R_NAME_MISSING "name.missing"
#define INTAKE_R_NAME_TOO_LONG "name.too_long"
#define INTAKE_R_NAME_INVALID "name.invalid"
#define INTAKE_R_VILLAGE_MISSING "village.missing"
#define INTAKE_R_VILLAGE_FORMAT "village.format"
#define INTAKE_R_VILLAGE_NOT_VILLAGE "village.not_village"
#define INTAKE_R_VILLAGE_OUT_OF_SCOPE "village.out_of_scope"
#define INTAKE_R_VILLAGE_UNKNOWN \
    "village.unknown"                                  /* a name that matches no village, or (set by the
                                                          service) a code not in the regions table */
#define INTAKE_R_VILLAGE_AMBIGUOUS "village.ambiguous" /* a name several villages of the county answer */
#define INTAKE_R_KIND_MISSING "kind.missing"
#define INTAKE_R_KIND_UNKNOWN "kind.unknown"
#define INTAKE_R_KIND_NOT_ALLOWED "kind.not_allowed"
#define INTAKE_R_DATE_MISSING "date.missing"
#define INTAKE_R_DATE_FORMAT "date.format"
#define INTAKE_R_DATE_FUTURE "date.future"
#define INTAKE_R_DATE_TOO_OLD "date.too_old"
#define INTAKE_R_AMOUNT_UNFLAGGED "amount.unflagged"
#define INTAKE_R_AMOUNT_REQUIRED "amount.required"
#define INTAKE_R_AMOUNT_NOT_ALLOWED "amount.not_allowed"
#define INTAKE_R_AMOUNT_NEGATIVE "amount.negative"
#define INTAKE_R_AMOUNT_TOO_LARGE "amount.too_large"
#define INTAKE_R_DETAIL_TOO_LONG "detail.too_long"
#define INTAKE_R_DETAIL_INVALID "detail.invalid"
#define INTAKE_R_LINE_REF_TOO_LONG "line_ref.too_long"
#define INTAKE_R_LINE_REF_INVALID "line_ref.invalid"
#define INTAKE_R_DUPLICATE_IN_BATCH "duplicate.in_batch" /* reserved: earlier in this batch */
#define INTAKE_R_DUPLICATE_EARLIER "duplicate.earlier"   /* reserved: an earlier batch has it */

/* --- the lead-kind catalog (table lead_kinds) ---------------------------------------------- */
typedef enum { INTAKE_AMOUNT_NONE = 0, INTAKE_AMOUNT_OPTIONAL, INTAKE_AMOUNT_REQUIRED } intake_amount_mode_t;

typedef struct {
    char code[48];     /* "yibao.high_cost" */
    char name_zh[128]; /* "医疗费用个人负担较重" */
    char sender[32];   /* a department code, "visit" or "self" */
    intake_amount_mode_t amount;
    int64_t max_amount_fen; /* an amount above it is amount.too_large */
} intake_kind_t;

/* The caller owns kinds and keys; sort it once with intake_catalog_sort before any lookup. */
typedef struct {
    intake_kind_t *kinds;
    size_t nkinds;
    fp_kind_key_t *keys; /* each kind's code and Chinese name normalised (domain/kindname.h),
                            made by intake_catalog_index */
    size_t nkeys;
} intake_catalog_t;

/* Sorts the kinds by code (strcmp order) for intake_catalog_find. NULL-safe. */
void intake_catalog_sort(intake_catalog_t *c);
/* (kinds.c) Makes keys again from the sorted kinds (freeing the old ones): without keys a kind
 * is found by its exact code only. NULL-safe. */
void intake_catalog_index(intake_catalog_t *c);
/* (kinds.c) Frees kinds and keys and empties c. NULL-safe. */
void intake_catalog_free(intake_catalog_t *c);
/* The kind with this exact code (binary search), or NULL. NULL-safe in every argument. */
const intake_kind_t *intake_catalog_find(const intake_catalog_t *c, const char *code);
/* "none" / "optional" / "required" (the column lead_kinds.amount) into *out; false and *out
 * untouched for anything else, NULL included. */
bool intake_amount_mode_parse(const char *s, intake_amount_mode_t *out);

/* --- the sender (from the ZAP principal, never from the request) --------------------------- */
typedef struct {
    const char *kind;             /* principal kind: "department" | "actor" | "gateway" | "admin" */
    const char *department;       /* department code for kind department ("yibao"), else "" */
    const char *region;           /* the principal's scope, short (or 12-digit padded) code: a county
                                for departments and the gateway, any level for actors */
    const fp_kind_key_t *aliases; /* the kind names its county added for its department
                                     (kind_aliases; FP_KIND_VIA_ALIAS, kind = a catalogue index) */
    size_t naliases;
    const fp_village_index_t *villages; /* its county's places, for villages by name; NULL: codes only */
    fp_village_conv_fn conv;            /* traditional to simplified (intake_hant_t2s), or NULL */
    void *conv_ctx;
} intake_sender_t;

/* May this sender push this kind? department: k->sender equals its (non-empty) department
 * code; actor: k->sender is "visit"; gateway: "self"; admin and anything else: never (admins
 * manage, they do not report). False if k or s is NULL. */
bool intake_kind_allowed(const intake_kind_t *k, const intake_sender_t *s);

/* (kinds.c) The kind a lead names: its exact code, else the one kind whose code or Chinese name
 * (catalogue) or, failing those, whose alias (s->aliases) equals the text after fp_kind_norm.
 * NULL when none does, or when two kinds do at the same step (ambiguous). */
const intake_kind_t *intake_kind_resolve(const intake_catalog_t *c, const intake_sender_t *s, const char *text);

/* (kinds.c) kind.unknown's message for this text and sender: the catalogue's, then up to three closest
 * kinds this sender may push (fp_kind_closest over the codes and names), each as code and name,
 * written into en and zh (NUL-terminated, cut at their size). Returns how many were named. */
size_t intake_kind_unknown_message(const intake_catalog_t *c, const intake_sender_t *s, const char *text, char *en,
                                   size_t en_size, char *zh, size_t zh_size);

/* Is this village text a name or an address rather than a code (anything but ASCII digits)?
 * Only then does a batch need its county's village index. False for NULL and "". */
bool intake_village_by_name(const char *text);

/* --- limits ---------------------------------------------------------------------------------
 * Taken literally: 0 means 0 (max_ref_bytes 0 = line_ref must be empty; max_age_days 0 = only
 * today's date). A negative max_leads or max_age_days counts as 0. Pass NULL for
 * intake_limits_default(). */
typedef struct {
    int max_leads;           /* leads per batch */
    int max_age_days;        /* oldest occurred_on: today - max_age_days */
    size_t max_detail_bytes; /* detail, UTF-8 bytes */
    size_t max_ref_bytes;    /* line_ref, bytes */
} intake_limits_t;

#define INTAKE_DEFAULT_MAX_LEADS 10000
#define INTAKE_DEFAULT_MAX_AGE_DAYS 400
#define INTAKE_DEFAULT_MAX_DETAIL_BYTES 4000
#define INTAKE_DEFAULT_MAX_REF_BYTES 64
#define INTAKE_MAX_NAME_BYTES 64
#define INTAKE_MAX_BATCH_ID 64

/* {10000, 400, 4000, 64}: the service's configuration defaults. */
intake_limits_t intake_limits_default(void);

/* --- checks ---------------------------------------------------------------------------------
 * Reason codes returned are the INTAKE_R_* string literals above (compare with strcmp, or use
 * the pointer as a stable string); NULL means valid. */

/* A batch id: 1..64 characters of [A-Za-z0-9._:-] (SubmitLeads, SubmitCompareAnswers). */
bool intake_batch_id_ok(const char *batch_id);

/* Batch header, checked in this order: batch id 1..64 chars of [A-Za-z0-9._:-]; period
 * "YYYY-MM" (years 2000..2199), not after the month of `today`; 1..max_leads leads.
 * *period_out (may be NULL) is written when the period parsed, whatever the result. */
const char *intake_check_batch(const char *batch_id, const char *period, size_t nleads, const intake_limits_t *lim,
                               int32_t today, fp_period_t *period_out);

/* One lead; the fields of intake.proto's Lead (NULL strings count as empty). */
typedef struct {
    const char *id_number, *name, *village_code, *kind, *occurred_on, *detail, *line_ref;
    int64_t amount_fen;
    bool has_amount;
} intake_lead_in_t;

typedef struct {
    char id_number[19];    /* normalized (upper-case X) */
    char village[13];      /* the 12-digit village code */
    int32_t occurred_days; /* days since 1970-01-01 */
    const intake_kind_t *kind;
} intake_lead_ok_t;

/* Returns NULL and fills *ok (may be NULL) when valid, else the FIRST failing reason code.
 * *ok is not touched on failure. Order and rules (see lead_validate.c for the details):
 *   id number  idcard.missing, .format, .legacy15, .province, .checksum, .birth_date (after today)
 *   name       name.missing, .too_long (> 64 bytes), .invalid
 *   village    village.missing, .format (digits but not 12, or not a valid code; digits with
 *              spaces or full-width; a name when s->villages is NULL), .not_village (a padded county/township code), .out_of_scope
 *              (not inside s->region; a sender without a valid region has no scope); a name
 *              (intake_village_by_name) is matched in s->villages (fp_village_match):
 *              .ambiguous (several villages), .unknown (none), else its code, checked as above
 *   kind       kind.missing, .unknown (intake_kind_resolve finds none, or two), .not_allowed
 *   date       date.missing, .format, .future (> today), .too_old (< today - max_age_days)
 *   amount     amount.unflagged (amount_fen != 0 but has_amount false), .not_allowed (kind
 *              none), .required, .negative, .too_large (> kind's max_amount_fen)
 *   detail     detail.too_long, .invalid (bad UTF-8 or control characters but tab/CR/LF)
 *   line_ref   line_ref.too_long, .invalid (bad UTF-8 or any control character)
 * Nothing is trimmed: " 1308..." is idcard.format. */
const char *intake_check_lead(const intake_catalog_t *cat, const intake_sender_t *s, const intake_lead_in_t *in,
                              const intake_limits_t *lim, int32_t today, intake_lead_ok_t *ok);

/* The line_ref rule alone (NULL = fine, else line_ref.too_long or line_ref.invalid), for the
 * service to decide whether a REFUSED lead's line_ref can be echoed and stored as it is: it is
 * checked last, so a lead refused earlier may still carry one that is not UTF-8. */
const char *intake_check_line_ref(const char *line_ref, const intake_limits_t *lim);

/* --- messages -------------------------------------------------------------------------------- */
typedef fp_reason_t intake_reason_t; /* domain/reason.h */

/* Every reason code with its English and Chinese message (what went wrong and what to do);
 * terminated by an entry whose code is NULL. */
extern const intake_reason_t intake_reasons[];
/* The entry for a code; NULL if unknown (or NULL). */
const intake_reason_t *intake_reason(const char *code);

#endif
