/* ping.c: `fangpinctl ping SERVICE`: one request over CURVE to a service's ROUTER, using the
 * PingRequest subset that every service's request type shares; prints who the service says we
 * are. The same code path any client takes: DEALER, CURVE client keys, server public key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "cert.h"
#include "ctl.h"
#include "fangpin/v1/common.pb-c.h"
#include "service.h"

int ctl_cmd_ping(int argc, char **argv)
{
    static const char *const svcs[] = {"intake", "screening", "assistance", "reporting"};
    static const int ports[] = {7101, 7102, 7103, 7104};
    int idx = -1;
    for (int i = 0; argc >= 2 && i < 4; i++)
        if (!strcmp(argv[1], svcs[i])) idx = i;
    if (idx < 0) {
        fprintf(stderr, "usage: fangpinctl ping intake|screening|assistance|reporting\n");
        return 2;
    }
    const char *name = svcs[idx];
    char env[64], dflt[64], path[4096];
    for (size_t i = 0; i <= strlen(name); i++) env[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    char var[96];
    snprintf(var, sizeof var, "FANGPIN_%s_CONNECT", env);
    snprintf(dflt, sizeof dflt, "tcp://127.0.0.1:%d", ports[idx]);
    const char *endpoint = ctl_env(var, dflt);
    const char *keys = ctl_env("FANGPIN_KEYS_DIR", "var/keys");

    fp_cert_t server, client;
    snprintf(path, sizeof path, "%s/%s.key", keys, name);
    if (fp_cert_load(path, &server) != FP_OK) {
        fprintf(stderr, "fangpinctl ping: cannot read the server certificate %s\n", path);
        return 1;
    }
    snprintf(path, sizeof path, "%s/admin.key_secret", keys);
    const char *cpath = ctl_env("FANGPIN_CLIENT_CERT", path);
    if (fp_cert_load(cpath, &client) != FP_OK || !client.secret_key[0]) {
        fprintf(stderr, "fangpinctl ping: cannot read this client's secret certificate %s\n", cpath);
        return 1;
    }

    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeout = atoi(ctl_env("FANGPIN_TIMEOUT_MS", "5000"));
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server.public_key, 40);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, client.public_key, 40);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, client.secret_key, 40);
    int rc = 1;
    if (zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "fangpinctl ping: bad endpoint %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        goto out;
    }
    Fangpin__V1__PingRequest req = FANGPIN__V1__PING_REQUEST__INIT;
    Fangpin__V1__Ping ping = FANGPIN__V1__PING__INIT;
    char rid[32];
    snprintf(rid, sizeof rid, "ping-%ld", (long)time(NULL));
    req.request_id = rid;
    req.ping = &ping;
    ping.note = (char *)"fangpinctl";
    uint8_t buf[256];
    size_t len = fangpin__v1__ping_request__pack(&req, buf);
    zmq_send(s, buf, len, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, s, 0) < 0) {
        fprintf(stderr, "fangpinctl ping: no reply from %s at %s within %d ms (down, or our key is not registered)\n",
                name, endpoint, timeout);
        zmq_msg_close(&m);
        goto out;
    }
    Fangpin__V1__PingReply *rep = fangpin__v1__ping_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    if (!rep || !rep->status) {
        fprintf(stderr, "fangpinctl ping: undecodable reply\n");
    } else if (rep->status->code != FANGPIN__V1__CODE__OK || !rep->pong) {
        fprintf(stderr, "fangpinctl ping: %s: %s\n", fp_code_name(rep->status->code), rep->status->message);
    } else {
        printf("%s %s at %s: ok, you are %s (%s%s%s, region %s), database %s\n", rep->pong->service,
               rep->pong->version, endpoint, rep->pong->principal, rep->pong->kind, rep->pong->level[0] ? ", " : "",
               rep->pong->level, rep->pong->region, rep->pong->db_ready ? "ready" : "NOT ready");
        rc = 0;
    }
    if (rep) fangpin__v1__ping_reply__free_unpacked(rep, NULL);
out:
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}
