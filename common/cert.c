/* cert.c: ZeroMQ certificate files (see cert.h). The reader follows what pyzmq's
 * zmq.auth.load_certificate accepts: `public-key = "..."` and `secret-key = "..."` lines. */
#include "cert.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static const char s_z85[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

bool fp_z85_key_valid(const char *s)
{
    if (!s || strlen(s) != 40) return false;
    for (int i = 0; i < 40; i++)
        if (!memchr(s_z85, s[i], sizeof s_z85 - 1)) return false;
    return true;
}

/* If line (trimmed) is `key = "value"` (quotes optional), copies value into out. */
static bool s_value(const char *line, size_t len, const char *key, char *out, size_t outsz)
{
    size_t klen = strlen(key);
    while (len && (*line == ' ' || *line == '\t')) line++, len--;
    if (len < klen || memcmp(line, key, klen) != 0) return false;
    line += klen, len -= klen;
    while (len && (*line == ' ' || *line == '\t')) line++, len--;
    if (!len || *line != '=') return false;
    line++, len--;
    while (len && (*line == ' ' || *line == '\t')) line++, len--;
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r')) len--;
    if (len >= 2 && (line[0] == '"' || line[0] == '\'') && line[len - 1] == line[0]) line++, len -= 2;
    if (len >= outsz) return false;
    memcpy(out, line, len);
    out[len] = '\0';
    return true;
}

fp_err_t fp_cert_parse(const char *text, size_t len, fp_cert_t *out)
{
    memset(out, 0, sizeof *out);
    char pub[64] = "", sec[64] = "";
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        const char *line = text + i;
        size_t n = j - i;
        if (!(n && line[0] == '#')) {
            s_value(line, n, "public-key", pub, sizeof pub);
            s_value(line, n, "secret-key", sec, sizeof sec);
            s_value(line, n, "name", out->name, sizeof out->name);
        }
        i = j + 1;
    }
    if (!fp_z85_key_valid(pub)) return FP_EINVAL;
    memcpy(out->public_key, pub, 41);
    if (sec[0]) {
        if (!fp_z85_key_valid(sec)) return FP_EINVAL;
        memcpy(out->secret_key, sec, 41);
    }
    return FP_OK;
}

fp_err_t fp_cert_load(const char *path, fp_cert_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return FP_ENOTFOUND;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    int big = !feof(f);
    fclose(f);
    if (big) return FP_ETOOBIG;
    return fp_cert_parse(buf, n, out);
}

fp_err_t fp_cert_generate(const char *name, fp_cert_t *out)
{
    memset(out, 0, sizeof *out);
    if (zmq_curve_keypair(out->public_key, out->secret_key) != 0) return FP_EZMQ;
    snprintf(out->name, sizeof out->name, "%s", name ? name : "");
    return FP_OK;
}

static fp_err_t s_write(const char *path, int mode, const char *text)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) return FP_EIO;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int ok = w == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return FP_EIO;
    }
    return FP_OK;
}

fp_err_t fp_cert_save(const fp_cert_t *cert, const char *dir, const char *name)
{
    char path[4096], text[1024], when[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(text, sizeof text,
             "#   ****  Generated on %s by fangpinctl  ****\n"
             "#   ZeroMQ CURVE Public Certificate\n"
             "#   Exchange securely, or use a secure mechanism to verify the contents\n"
             "#   of this file after exchange.\n\n"
             "metadata\n    name = \"%s\"\ncurve\n    public-key = \"%s\"\n",
             when, name, cert->public_key);
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    fp_err_t e = s_write(path, 0644, text);
    if (e != FP_OK || !cert->secret_key[0]) return e;
    snprintf(text, sizeof text,
             "#   ****  Generated on %s by fangpinctl  ****\n"
             "#   ZeroMQ CURVE **Secret** Certificate\n"
             "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n\n"
             "metadata\n    name = \"%s\"\ncurve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
             when, name, cert->public_key, cert->secret_key);
    snprintf(path, sizeof path, "%s/%s.key_secret", dir, name);
    return s_write(path, 0600, text);
}
