/* ping.c: `fangpinctl ping SERVICE`: one request over CURVE to a service's ROUTER, using the
 * PingRequest subset that every service's request type shares; prints who the service says we
 * are. The same code path any client takes: DEALER, CURVE client keys, server public key, and
 * a retry on a new socket when no reply comes (rpc.c, Lazy Pirate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

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
    char env[64], dflt[64];
    for (size_t i = 0; i <= strlen(name); i++)
        env[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    char var[96];
    snprintf(var, sizeof var, "FANGPIN_%s_CONNECT", env);
    snprintf(dflt, sizeof dflt, "tcp://127.0.0.1:%d", ports[idx]);
    const char *endpoint = ctl_env(var, dflt);
    ctl_peer_t peer;
    int rc = ctl_peer_open(&peer, name, endpoint, 5000);
    if (rc != 0) {
        ctl_peer_close(&peer);
        return rc;
    }
    rc = 1;
    Fangpin__V1__PingRequest req = FANGPIN__V1__PING_REQUEST__INIT;
    Fangpin__V1__Ping ping = FANGPIN__V1__PING__INIT;
    char rid[32];
    snprintf(rid, sizeof rid, "ping-%ld", (long)time(NULL));
    req.request_id = rid;
    req.ping = &ping;
    ping.note = (char *)"fangpinctl";
    uint8_t buf[256];
    size_t len = fangpin__v1__ping_request__pack(&req, buf);
    zmq_msg_t m;
    if (ctl_peer_request(&peer, buf, len, &m) != 0) goto out;
    Fangpin__V1__PingReply *rep = fangpin__v1__ping_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    if (!rep || !rep->status) {
        fprintf(stderr, "fangpinctl ping: undecodable reply\n");
    } else if (rep->status->code != FANGPIN__V1__CODE__OK || !rep->pong) {
        fprintf(stderr, "fangpinctl ping: %s: %s\n", fp_code_name(rep->status->code), rep->status->message);
    } else {
        printf("%s %s at %s: ok, you are %s (%s%s%s, region %s), database %s\n", rep->pong->service, rep->pong->version,
               endpoint, rep->pong->principal, rep->pong->kind, rep->pong->level[0] ? ", " : "", rep->pong->level,
               rep->pong->region, rep->pong->db_ready ? "ready" : "NOT ready");
        rc = 0;
    }
    if (rep) fangpin__v1__ping_reply__free_unpacked(rep, NULL);
out:
    ctl_peer_close(&peer);
    return rc;
}
