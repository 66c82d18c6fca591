/* rpc.c: one request and its reply over CURVE to a fangpin service, for every fangpinctl
 * subcommand that talks to a ROUTER socket (case, plan, measure, check, eliminate, report). The
 * server's public certificate is FANGPIN_KEYS_DIR/<service>.key, the client's secret one
 * FANGPIN_CLIENT_CERT (default FANGPIN_KEYS_DIR/admin.key_secret). */
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

#include "cert.h"
#include "ctl.h"
#include "fangpin/v1/common.pb-c.h"
#include "service.h"

ProtobufCMessage *ctl_call(const char *service, const char *endpoint_env, const char *endpoint_default,
                           const ProtobufCMessage *req, const ProtobufCMessageDescriptor *reply_type)
{
    const char *endpoint = ctl_env(endpoint_env, endpoint_default);
    const char *keys = ctl_env("FANGPIN_KEYS_DIR", "var/keys");
    char path[4096];
    fp_cert_t server, client;
    snprintf(path, sizeof path, "%s/%s.key", keys, service);
    if (fp_cert_load(path, &server) != FP_OK) {
        fprintf(stderr, "fangpinctl: cannot read the server certificate %s\n", path);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/admin.key_secret", keys);
    const char *cpath = ctl_env("FANGPIN_CLIENT_CERT", path);
    if (fp_cert_load(cpath, &client) != FP_OK || !client.secret_key[0]) {
        fprintf(stderr, "fangpinctl: cannot read this client's secret certificate %s\n", cpath);
        return NULL;
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeout = atoi(ctl_env("FANGPIN_TIMEOUT_MS", "10000"));
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server.public_key, 40);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, client.public_key, 40);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, client.secret_key, 40);
    ProtobufCMessage *rep = NULL;
    if (zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "fangpinctl: bad endpoint %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        goto out;
    }
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    protobuf_c_message_pack(req, buf);
    zmq_send(s, buf, len, 0);
    free(buf);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, s, 0) < 0) {
        fprintf(stderr, "fangpinctl: no reply from %s at %s within %d ms\n", service, endpoint, timeout);
        zmq_msg_close(&m);
        goto out;
    }
    /* every reply starts with request_id = 1 and status = 2 (common.proto, ReplyHeader) */
    Fangpin__V1__ReplyHeader *h = fangpin__v1__reply_header__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    if (!h || !h->status) {
        fprintf(stderr, "fangpinctl: undecodable reply from %s\n", service);
    } else if (h->status->code != FANGPIN__V1__CODE__OK) {
        fprintf(stderr, "fangpinctl: %s: %s\n  %s\n", fp_code_name(h->status->code),
                h->status->message_zh ? h->status->message_zh : "", h->status->message);
    } else if (!(rep = protobuf_c_message_unpack(reply_type, NULL, zmq_msg_size(&m), zmq_msg_data(&m)))) {
        fprintf(stderr, "fangpinctl: undecodable reply from %s\n", service);
    }
    if (h) fangpin__v1__reply_header__free_unpacked(h, NULL);
    zmq_msg_close(&m);
out:
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rep;
}
