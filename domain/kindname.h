/* kindname.h: a lead kind given as people write it. A department's file names a kind by its
 * code (yibao.high_cost), by its Chinese name from the lead_kinds catalogue (医疗费用个人负担较重)
 * or by an alias its county added for it (kind_aliases); each is compared after fp_kind_norm.
 * Shared by intake (SubmitLeads), fangpinctl (kinds alias add refuses an alias that would be
 * ambiguous) and the department desk. Pure. */
#ifndef FP_KINDNAME_H
#define FP_KINDNAME_H
#include <stdbool.h>
#include <stddef.h>

/* Room for a normalised kind text, its NUL included: longer texts do not normalise. */
#define FP_KIND_NORM_MAX 192

/* Normalises a kind as written into out (cap bytes): full-width ASCII (U+FF01..U+FF5E) becomes
 * ASCII, ASCII letters become lower-case, and every white space (ASCII, U+00A0, U+2000..U+200B,
 * U+3000, U+FEFF) and punctuation mark (ASCII !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~, U+00B7 ·,
 * U+2010..U+2027 dashes, quotes and dots, U+3001..U+3003 、。〃, U+3008..U+3011 and
 * U+3014..U+301F brackets, U+30FB ・) is removed; every other character stays as it is.
 * "医疗费用（个人负担）较重 " and "医疗费用个人负担较重" agree; "yibao.high_cost" becomes
 * "yibaohighcost". False (out is "") when s is NULL, not UTF-8, or its result does not fit in
 * cap; true otherwise, the result possibly "" (a kind of only spaces and punctuation). */
bool fp_kind_norm(const char *s, char *out, size_t cap);

/* How a key names its kind; a lower value wins when a text matches keys of several ways. */
typedef enum { FP_KIND_VIA_CODE = 0, FP_KIND_VIA_NAME, FP_KIND_VIA_ALIAS } fp_kind_via_t;

/* One way of writing a kind: its normalised text and the index of the kind in the caller's
 * catalogue. */
typedef struct {
    char norm[FP_KIND_NORM_MAX];
    size_t kind;
    fp_kind_via_t via;
} fp_kind_key_t;

typedef enum { FP_KIND_NONE = 0, FP_KIND_ONE, FP_KIND_AMBIGUOUS } fp_kind_match_t;

/* The kind whose key equals norm (already normalised). Among matching keys only those of the
 * best (lowest) way count: FP_KIND_ONE with *kind set when they all name one kind,
 * FP_KIND_AMBIGUOUS when they name several (*kind untouched), FP_KIND_NONE when no key matches
 * or norm is empty or NULL. */
fp_kind_match_t fp_kind_match(const fp_kind_key_t *keys, size_t nkeys, const char *norm, size_t *kind);

/* The closest kinds to norm among those whose eligible[kind] is true (eligible has nkinds
 * entries): a kind's score is the most characters (code points, counted with repetition) that
 * norm shares with any one of its keys; kinds scoring 0 are left out. Writes up to max kind
 * indexes into out, highest score first, ties by lower index (the caller's catalogue order),
 * and returns how many. */
size_t fp_kind_closest(const fp_kind_key_t *keys, size_t nkeys, const bool *eligible, size_t nkinds, const char *norm,
                       size_t *out, size_t max);

/* The characters two normalised texts share, counted with repetition ("aab" and "ab" share 2);
 * 0 for a NULL or invalid text. */
size_t fp_kind_shared(const char *a, const char *b);

#endif
