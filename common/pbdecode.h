/* pbdecode.h: protobuf-c decoding with a byte budget. protobuf-c allocates for what a frame
 * says, not for its size: two bytes on the wire (an empty repeated message) become a pointer,
 * a struct and a scan record, about 80 times the frame. So a frame is first walked without
 * allocating (fp_pb_estimate: what protobuf-c 1.4 will allocate for it, an upper bound), and
 * refused when that is above the budget; the unpack that follows runs with an allocator that
 * refuses to go past the same budget, so even a misjudged frame cannot take more. The message
 * is malloc'd as protobuf-c's default allocator does: free it with the message type's
 * <type>__free_unpacked(m, NULL). */
#ifndef FP_PBDECODE_H
#define FP_PBDECODE_H
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    FP_PB_OK = 0,
    FP_PB_MALFORMED,   /* not a valid encoding of the message type */
    FP_PB_TOO_COMPLEX, /* valid, but would take more memory than the budget to decode */
} fp_pb_result_t;

/* Bytes a frame of len bytes may make the decoder allocate: factor * len + 64 KiB. */
size_t fp_pb_budget(size_t len, unsigned factor);

/* Walks data as a message of type d without allocating. *need (when not NULL) gets the
 * estimate, or at least limit + 1 when it stopped early because the estimate passed limit. */
fp_pb_result_t fp_pb_estimate(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len, size_t limit,
                              size_t *need);

/* Estimates, then unpacks with an allocator capped at budget. NULL with *why set on failure. */
ProtobufCMessage *fp_pb_unpack(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len, size_t budget,
                               fp_pb_result_t *why);

/* The unpack alone, with the capped allocator (no estimate first). */
ProtobufCMessage *fp_pb_unpack_capped(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
                                      size_t budget, fp_pb_result_t *why);

/* The message's field 1 (every fangpin request's request_id), or "" when it has none. */
const char *fp_pb_request_id(const ProtobufCMessage *m);

/* A request id is 1 to 128 printable ASCII characters (0x20..0x7E). */
int fp_request_id_valid(const char *id);

#endif
