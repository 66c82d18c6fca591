/* textenc.h: text from the files people bring: UTF-8 (with or without a byte order mark) or
 * the GB18030 family (GB2312 < GBK < GB18030), which is what Chinese Excel and WPS write when
 * a sheet is saved as "CSV (comma delimited)". Everything leaves here as UTF-8. */
#ifndef FP_TEXTENC_H
#define FP_TEXTENC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "mem.h"

/* True when s[0..len) is well-formed UTF-8: shortest forms only, no UTF-16 surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF. NUL bytes are allowed (they are U+0000). */
bool fp_utf8_valid(const char *s, size_t len);

/* The same check for text read in pieces: the length of the longest prefix of s[0..len) that is
 * well-formed UTF-8 and does not end inside a character. *bad is set when the bytes after that
 * prefix are not UTF-8 whatever follows them; otherwise they (at most 3) are a character cut
 * off by the end of the piece, to be checked again with the next piece in front of them. */
size_t fp_utf8_valid_prefix(const char *s, size_t len, bool *bad);

/* Decodes one code point of strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF) from the n > 0 bytes at p. Returns its length, or 0 if the bytes there are
 * not valid UTF-8. */
size_t fp_utf8_next(const unsigned char *p, size_t n, uint32_t *cp);

/* White space at the start / the end of s[0..n) (ASCII, U+00A0, U+3000, U+FEFF): its length in
 * bytes. The department and ledger file readers trim their fields with these. */
size_t fp_ws_lead(const char *s, size_t n);
size_t fp_ws_trail(const char *s, size_t n);

/* Appends in[0..len) to out as UTF-8 and sets *encoding (if not NULL) to a static name:
 *   - a UTF-8 byte order mark at the start is dropped;
 *   - input that is then valid UTF-8 is copied as it is: "utf-8";
 *   - otherwise it is decoded as GB18030 with iconv: "gbk".
 * FP_EINVAL when it is neither (out is left as it was); FP_EIO when the system has no
 * GB18030 converter (glibc's gconv modules missing). Empty input is "utf-8".
 * A short GBK text can happen to be valid UTF-8 too (the famous "联通"); a whole file of
 * Chinese text practically never is, so decide once per file, not per field. */
fp_err_t fp_text_to_utf8(const char *in, size_t len, fp_buf_t *out, const char **encoding);

/* GB18030 to UTF-8 for text read in pieces (fangpinctl ledger import reads a file in bounded
 * pieces): fp_gb_dec_new() is NULL when the system has no GB18030 converter. fp_gb_dec_piece()
 * appends the UTF-8 of the complete characters of in[0..len) to out and says in *used how many
 * bytes it decoded: the rest (a character cut off by the end of the piece) goes in front of the
 * next piece. FP_EINVAL (out left as it was) when the bytes are not GB18030. */
typedef struct fp_gb_dec fp_gb_dec_t;
fp_gb_dec_t *fp_gb_dec_new(void);
fp_err_t fp_gb_dec_piece(fp_gb_dec_t *d, const char *in, size_t len, size_t *used, fp_buf_t *out);
void fp_gb_dec_free(fp_gb_dec_t **d);

#endif
