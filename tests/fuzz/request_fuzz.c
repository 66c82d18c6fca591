/* request_fuzz.c: every request decoder a service runs on untrusted frames (protobuf-c's
 * generated unpackers for the four request types, the shared headers and the PULL hints), modelled on the
 * OSS-Fuzz protobuf-c target, through the budgeted decoder the services use (common/pbdecode.c).
 * Invariants: no crash or leak; the budget's estimate agrees with protobuf-c on what is valid
 * and bounds what it allocates; a decoded message packs to exactly
 * its computed size; a re-decoded one re-packs byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fangpin/v1/assistance.pb-c.h"
#include "fangpin/v1/common.pb-c.h"
#include "fangpin/v1/intake.pb-c.h"
#include "pbdecode.h"
#include "fangpin/v1/reporting.pb-c.h"
#include "fangpin/v1/screening.pb-c.h"

/* The services' decoder (common/pbdecode.c): the estimate never calls malformed what
 * protobuf-c decodes, and it bounds what protobuf-c allocates (an unpack capped at the
 * estimate succeeds). Returns the budgeted result. */
static ProtobufCMessage *s_budgeted(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
    size_t need = 0;
    fp_pb_result_t r = fp_pb_estimate(d, data, size, (size_t)-1 / 2, &need);
    fp_pb_result_t why;
    ProtobufCMessage *capped = fp_pb_unpack_capped(d, data, size, (size_t)-1 / 2, &why);
    if (capped && r != FP_PB_OK) abort(); /* a valid frame the estimate refused */
    if (capped) protobuf_c_message_free_unpacked(capped, NULL);
    if (r != FP_PB_OK) return NULL;
    ProtobufCMessage *m = fp_pb_unpack_capped(d, data, size, need, &why);
    if (!m && why == FP_PB_TOO_COMPLEX) abort(); /* protobuf-c took more than the estimate */
    return m;
}

static void s_roundtrip(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
    ProtobufCMessage *m = s_budgeted(d, data, size);
    if (!m) return;
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (protobuf_c_message_pack(m, buf) != len) abort();
    ProtobufCMessage *again = protobuf_c_message_unpack(d, NULL, len, buf);
    /* protobuf-c 1.4.1 keeps an overlong-encoded tag of field 0 (bytes 80 00, also inside a
     * submessage) as an unknown field, re-packs it canonically (00) and then refuses its own
     * output; services never re-pack a request, so a failed re-decode is allowed, but a
     * successful one must re-pack byte for byte. */
    if (again) {
        size_t len2 = protobuf_c_message_get_packed_size(again);
        uint8_t *buf2 = malloc(len2 ? len2 : 1);
        if (len2 != len || protobuf_c_message_pack(again, buf2) != len2 || memcmp(buf, buf2, len) != 0) abort();
        free(buf2);
        protobuf_c_message_free_unpacked(again, NULL);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_roundtrip(&fangpin__v1__intake_request__descriptor, data, size);
    s_roundtrip(&fangpin__v1__screening_request__descriptor, data, size);
    s_roundtrip(&fangpin__v1__assistance_request__descriptor, data, size);
    s_roundtrip(&fangpin__v1__reporting_request__descriptor, data, size);
    s_roundtrip(&fangpin__v1__request_header__descriptor, data, size);
    s_roundtrip(&fangpin__v1__ping_reply__descriptor, data, size);
    /* the hints a PULL socket takes (no CURVE on those links) */
    s_roundtrip(&fangpin__v1__leads_accepted__descriptor, data, size);
    s_roundtrip(&fangpin__v1__household_identified__descriptor, data, size);
    return 0;
}
