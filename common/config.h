/* config.h: one table per binary drives every setting: environment variable, default, bounds,
 * one line of help (Redis's static_configs[] idea). `--help` prints the table, `--version`
 * the version; the README's configuration table is checked against `--help` by a test. */
#ifndef FP_CONFIG_H
#define FP_CONFIG_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

typedef enum { FP_CFG_STR, FP_CFG_INT, FP_CFG_BOOL } fp_cfg_type_t;

typedef struct {
    const char *env; /* FANGPIN_... */
    fp_cfg_type_t type;
    const char *dflt; /* default, as text */
    int64_t min, max; /* bounds for FP_CFG_INT */
    const char *help;
    /* filled by fp_config_load */
    const char *str;
    int64_t num;
    bool set; /* taken from the environment, not the default */
} fp_cfg_t;

/* Handles --help / --version (prints and returns 1: the caller exits 0), a bad argument
 * (prints usage to stderr, returns 2), or loads each entry from the environment (returns 0,
 * or prints every bad value with its bounds and returns 2). The table ends with env == NULL. */
int fp_config_main(fp_cfg_t *table, const char *prog, const char *about, int argc, char **argv);
fp_err_t fp_config_load(fp_cfg_t *table, char *errbuf, size_t errlen);
void fp_config_print_help(const fp_cfg_t *table, const char *prog, const char *about, FILE *out);

const fp_cfg_t *fp_config_find(const fp_cfg_t *table, const char *env);
const char *fp_config_str(const fp_cfg_t *table, const char *env);
int64_t fp_config_int(const fp_cfg_t *table, const char *env);
bool fp_config_bool(const fp_cfg_t *table, const char *env);

#endif
