/* auth.c: the ZAP handler and its key cache (see auth.h). ZAP requests are answered at once
 * from the cache; only the cache reload touches the database, asynchronously. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "mem.h"
#include "zsock.h"

typedef struct {
    char key[41];
    fp_key_state_t state; /* ACTIVE, REVOKED or DISABLED: every key of the table is cached */
    fp_principal_t p;
} s_entry_t;

struct fp_auth {
    uv_loop_t *loop;
    fp_db_t *db;
    void *rep;
    fp_zsock_t *zs;
    s_entry_t *keys; /* sorted by key, every registered key (revoked ones too, to say why) */
    size_t nkeys;
    size_t nactive; /* of them admitted */
    bool loaded;
    bool reloading;
    bool reload_again;
    unsigned long denied, allowed, not_ready;
    void (*on_loaded)(void *arg);
    void *on_loaded_arg;
    bool *alive; /* cleared on destroy so a late db callback does nothing */
};

static int s_cmp_key(const void *a, const void *b)
{
    return strcmp(((const s_entry_t *)a)->key, ((const s_entry_t *)b)->key);
}
static const s_entry_t *s_lookup_key(const fp_auth_t *a, const char *key)
{
    s_entry_t probe;
    snprintf(probe.key, sizeof probe.key, "%s", key ? key : "");
    return a->keys ? bsearch(&probe, a->keys, a->nkeys, sizeof *a->keys, s_cmp_key) : NULL;
}

static void s_reply(fp_auth_t *a, const zmq_msg_t *reqid, const char *code, const char *text, const char *user)
{
    const void *data[6] = {"1.0", zmq_msg_data((zmq_msg_t *)reqid), code, text, user, ""};
    size_t lens[6] = {3, zmq_msg_size((zmq_msg_t *)reqid), strlen(code), strlen(text), strlen(user), 0};
    if (fp_zsock_send(a->zs, data, lens, 6) != FP_OK) fp_log_error("ZAP reply failed");
}

static void s_on_zap(fp_zsock_t *zs, fp_zmsg_t *m, void *arg)
{
    fp_auth_t *a = arg;
    /* version, request id, domain, address, identity, mechanism, credentials... */
    if (m->nparts < 6) {
        fp_log_error("malformed ZAP request");
        if (m->nparts >= 2) s_reply(a, &m->parts[1], "500", "malformed ZAP request", "");
        return;
    }
    const char *mech = zmq_msg_data(&m->parts[5]);
    size_t mlen = zmq_msg_size(&m->parts[5]);
    if (!(mlen == 5 && memcmp(mech, "CURVE", 5) == 0) || m->nparts < 7 || zmq_msg_size(&m->parts[6]) != 32) {
        a->denied++;
        s_reply(a, &m->parts[1], "400", "CURVE required", "");
        return;
    }
    char addr[64];
    snprintf(addr, sizeof addr, "%.*s", (int)zmq_msg_size(&m->parts[3]), (const char *)zmq_msg_data(&m->parts[3]));
    if (!a->loaded) {
        /* Not "unknown": we do not know yet. 300 is ZAP's temporary error. (libzmq 4.3 ends the
         * client's connection on any refusal without reconnecting, which is why services bind
         * their CURVE sockets only after the first load and this should never be reached.) */
        a->not_ready++;
        fp_log_warn("connection refused for now: the registered keys are not loaded yet", "address", addr);
        s_reply(a, &m->parts[1], "300", "keys not loaded yet: retry", "");
        return;
    }
    char key[41];
    zmq_z85_encode(key, zmq_msg_data(&m->parts[6]), 32);
    const s_entry_t *e = s_lookup_key(a, key);
    char shortkey[12];
    snprintf(shortkey, sizeof shortkey, "%.8s", key);
    if (!e || e->state != FP_KEY_ACTIVE) {
        a->denied++;
        const char *why = !e ? "unknown key" : e->state == FP_KEY_REVOKED ? "revoked key" : "principal disabled";
        if (e)
            fp_log_warn("connection refused: CURVE key no longer admitted", "why", why, "principal", e->p.id, "key",
                        shortkey, "address", addr);
        else fp_log_warn("connection refused: unknown CURVE key", "key", shortkey, "address", addr);
        s_reply(a, &m->parts[1], "400", why, "");
        return;
    }
    a->allowed++;
    fp_log_debug("connection admitted", "principal", e->p.id, "key", shortkey, "address", addr);
    /* the User-Id is the key, not the principal: each request is judged by the key it came on */
    s_reply(a, &m->parts[1], "200", "OK", e->key);
}

fp_err_t fp_auth_new(uv_loop_t *loop, void *zctx, fp_db_t *db, fp_auth_t **out)
{
    fp_auth_t *a = fp_new(fp_auth_t);
    a->loop = loop;
    a->db = db;
    a->rep = zmq_socket(zctx, ZMQ_REP);
    int linger = 0;
    if (!a->rep) goto fail;
    zmq_setsockopt(a->rep, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(a->rep, "inproc://zeromq.zap.01") != 0) goto fail;
    if (fp_zsock_new(loop, a->rep, s_on_zap, a, &a->zs) != FP_OK) goto fail;
    a->alive = fp_new(bool);
    *a->alive = true;
    *out = a;
    return FP_OK;
fail:
    if (a->rep) zmq_close(a->rep);
    free(a);
    return FP_EZMQ;
}

void fp_auth_destroy(fp_auth_t **p)
{
    if (!p || !*p) return;
    fp_auth_t *a = *p;
    *p = NULL;
    fp_zsock_destroy(&a->zs);
    zmq_close(a->rep);
    free(a->keys);
    if (a->reloading) *a->alive = false; /* the pending callback frees the flag */
    else free(a->alive);
    free(a);
}

typedef struct {
    fp_auth_t *a;
    bool *alive;
} s_reload_t;

static void s_copy(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

static void s_on_keys(fp_db_t *db, PGresult *res, void *arg)
{
    s_reload_t *r = arg;
    bool *alive = r->alive;
    fp_auth_t *a = r->a;
    free(r);
    if (!*alive) {
        free(alive);
        return;
    }
    a->reloading = false;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_warn("key cache reload failed", "error", fp_db_errmsg(res));
        return; /* keep the previous cache */
    }
    size_t n = (size_t)PQntuples(res);
    s_entry_t *keys = fp_calloc(n ? n : 1, sizeof *keys);
    size_t nactive = 0;
    for (size_t i = 0; i < n; i++) {
        int row = (int)i;
        s_copy(keys[i].key, sizeof keys[i].key, PQgetvalue(res, row, 0));
        fp_principal_t *p = &keys[i].p;
        s_copy(p->id, sizeof p->id, PQgetvalue(res, row, 1));
        s_copy(p->kind, sizeof p->kind, PQgetvalue(res, row, 2));
        s_copy(p->display_name, sizeof p->display_name, PQgetvalue(res, row, 3));
        s_copy(p->level, sizeof p->level, PQgetvalue(res, row, 4));
        s_copy(p->region, sizeof p->region, PQgetvalue(res, row, 5));
        s_copy(p->department, sizeof p->department, PQgetvalue(res, row, 6));
        s_copy(p->county, sizeof p->county, PQgetvalue(res, row, 7));
        const char *revoked = PQgetvalue(res, row, 8), *disabled = PQgetvalue(res, row, 9);
        keys[i].state = revoked[0] == 't' ? FP_KEY_REVOKED : disabled[0] == 't' ? FP_KEY_DISABLED : FP_KEY_ACTIVE;
        nactive += keys[i].state == FP_KEY_ACTIVE;
    }
    qsort(keys, n, sizeof *keys, s_cmp_key);
    free(a->keys);
    a->keys = keys;
    a->nkeys = n;
    a->nactive = nactive;
    if (!a->loaded) {
        char count[24];
        snprintf(count, sizeof count, "%zu", nactive);
        fp_log_info("key cache loaded", "keys", count);
    }
    a->loaded = true;
    if (a->on_loaded) a->on_loaded(a->on_loaded_arg);
    if (a->reload_again) {
        a->reload_again = false;
        fp_auth_reload(a);
    }
}

void fp_auth_reload(fp_auth_t *a)
{
    if (a->reloading) {
        a->reload_again = true;
        return;
    }
    a->reloading = true;
    s_reload_t *r = fp_new(s_reload_t);
    r->a = a;
    r->alive = a->alive;
    fp_db_query(a->db, 0,
                "SELECT k.public_key, p.id, p.kind, p.display_name, coalesce(p.level, ''), p.region_code,"
                " coalesce(p.department_code, ''), coalesce(p.county_code, ''),"
                " k.revoked_at IS NOT NULL, p.disabled_at IS NOT NULL"
                " FROM curve_keys k JOIN principals p ON p.id = k.principal_id",
                0, NULL, s_on_keys, r);
}

const fp_principal_t *fp_auth_principal(const fp_auth_t *a, const char *user_id)
{
    const s_entry_t *e = user_id ? s_lookup_key(a, user_id) : NULL;
    return e && e->state == FP_KEY_ACTIVE ? &e->p : NULL;
}

fp_key_state_t fp_auth_key_state(const fp_auth_t *a, const char *user_id)
{
    const s_entry_t *e = user_id ? s_lookup_key(a, user_id) : NULL;
    return e ? e->state : FP_KEY_UNKNOWN;
}

bool fp_auth_loaded(const fp_auth_t *a) { return a->loaded; }
void fp_auth_on_loaded(fp_auth_t *a, void (*cb)(void *arg), void *arg)
{
    a->on_loaded = cb;
    a->on_loaded_arg = arg;
}
unsigned long fp_auth_not_ready(const fp_auth_t *a) { return a->not_ready; }
size_t fp_auth_key_count(const fp_auth_t *a) { return a->nactive; }
unsigned long fp_auth_denied(const fp_auth_t *a) { return a->denied; }
unsigned long fp_auth_allowed(const fp_auth_t *a) { return a->allowed; }
