/* config.c: loads a binary's configuration table from the environment (see config.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "migrate.h"

static int s_parse_bool(const char *s, bool *out)
{
    if (!strcasecmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")) {
        *out = false;
        return 0;
    }
    return -1;
}

fp_err_t fp_config_load(fp_cfg_t *table, char *errbuf, size_t errlen)
{
    fp_err_t rc = FP_OK;
    size_t used = 0;
    if (errlen) errbuf[0] = '\0';
    for (fp_cfg_t *c = table; c->env; c++) {
        const char *v = getenv(c->env);
        c->set = v && *v;
        if (!c->set) v = c->dflt;
        c->str = v;
        const char *bad = NULL;
        char why[160];
        if (c->type == FP_CFG_INT) {
            char *end = NULL;
            errno = 0;
            long long n = strtoll(v, &end, 10);
            if (errno || end == v || *end) {
                bad = "not an integer";
            } else if (n < c->min || n > c->max) {
                snprintf(why, sizeof why, "out of range [%lld, %lld]", (long long)c->min, (long long)c->max);
                bad = why;
            } else {
                c->num = n;
            }
        } else if (c->type == FP_CFG_BOOL) {
            bool b = false;
            if (s_parse_bool(v, &b)) bad = "not a boolean (true/false)";
            c->num = b;
        }
        if (bad) {
            rc = FP_ECONFIG;
            if (used < errlen) {
                int n = snprintf(errbuf + used, errlen - used, "%s%s=\"%s\": %s", used ? "; " : "", c->env, v, bad);
                if (n > 0) used += (size_t)n;
            }
        }
    }
    return rc;
}

void fp_config_print_help(const fp_cfg_t *table, const char *prog, const char *about, FILE *out)
{
    fprintf(out, "%s %s: %s\n\nUsage: %s [--help] [--version]\n\nConfiguration (environment variables):\n", prog,
            FANGPIN_VERSION, about, prog);
    for (const fp_cfg_t *c = table; c->env; c++) {
        fprintf(out, "  %-28s %s (default: %s", c->env, c->help, *c->dflt ? c->dflt : "\"\"");
        if (c->type == FP_CFG_INT) fprintf(out, "; %lld..%lld", (long long)c->min, (long long)c->max);
        if (c->type == FP_CFG_BOOL) fprintf(out, "; true|false");
        fprintf(out, ")\n");
    }
}

int fp_config_main(fp_cfg_t *table, const char *prog, const char *about, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fp_config_print_help(table, prog, about, stdout);
            return 1;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("%s %s (schema %s)\n", prog, FANGPIN_VERSION, fp_migrations_schema());
            return 1;
        }
        fprintf(stderr, "%s: unknown argument '%s' (settings come from the environment; see --help)\n", prog, argv[i]);
        return 2;
    }
    char err[1024];
    if (fp_config_load(table, err, sizeof err) != FP_OK) {
        fprintf(stderr, "%s: bad configuration: %s\n", prog, err);
        return 2;
    }
    return 0;
}

const fp_cfg_t *fp_config_find(const fp_cfg_t *table, const char *env)
{
    for (const fp_cfg_t *c = table; c->env; c++)
        if (!strcmp(c->env, env)) return c;
    return NULL;
}

const char *fp_config_str(const fp_cfg_t *table, const char *env)
{
    const fp_cfg_t *c = fp_config_find(table, env);
    return c ? c->str : NULL;
}

int64_t fp_config_int(const fp_cfg_t *table, const char *env)
{
    const fp_cfg_t *c = fp_config_find(table, env);
    return c ? c->num : 0;
}

bool fp_config_bool(const fp_cfg_t *table, const char *env)
{
    const fp_cfg_t *c = fp_config_find(table, env);
    return c && c->num;
}
