/* ws_frame.h - RFC 6455 WebSocket frames: parse client frames, build server
 * frames. Pure functions over caller-supplied buffers; no I/O.
 *
 * struct ws_reader assembles fragmented messages. It owns r->msg (grown up to
 * max_msg); ws_reader_free() releases it. Every length on the wire is checked
 * against max_msg before anything is copied.
 */
#ifndef TANDEM_SIP_WS_FRAME_H
#define TANDEM_SIP_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
	WS_OP_CONT = 0x0, WS_OP_TEXT = 0x1, WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8, WS_OP_PING = 0x9, WS_OP_PONG = 0xA,
};

/* Close status codes we send (RFC 6455 7.4.1). */
enum {
	WS_CLOSE_NORMAL = 1000, WS_CLOSE_GOING_AWAY = 1001, WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_BAD_DATA = 1007, WS_CLOSE_TOO_BIG = 1009,
};

struct ws_frame_hdr {
	bool fin;
	uint8_t opcode;
	bool masked;
	uint8_t mask[4];
	uint64_t len;      /* payload length */
	size_t hdr_len;    /* bytes before the payload */
};

/* Parse the frame header at buf. Returns 1 when the header is complete
 * (h filled), 0 when more bytes are needed, -EPROTO for a protocol violation
 * (reserved bits, unknown opcode, fragmented or long control frame, unmasked
 * client frame when require_mask), -EMSGSIZE when the payload exceeds max. */
int ws_frame_header(const uint8_t *buf, size_t len, bool require_mask, uint64_t max,
		    struct ws_frame_hdr *h);

/* XOR p with the mask, as if p started at payload offset `off`. */
void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], size_t off);

/* Write an unmasked, final server frame header for `len` payload bytes into
 * out (at least 10 bytes). Returns the header length. */
size_t ws_frame_write_header(uint8_t *out, uint8_t opcode, uint64_t len);

enum ws_event {
	WS_EV_MESSAGE = 1,  /* r->msg[0..msg_len): a whole text/binary message */
	WS_EV_PING,         /* r->ctl[0..ctl_len): the ping payload, answer with a pong */
	WS_EV_PONG,
	WS_EV_CLOSE,        /* r->close_code (0 when none was given) */
};

struct ws_reader {
	size_t max_msg;      /* largest assembled message accepted */
	uint8_t *msg;        /* owned */
	size_t msg_len, msg_cap;
	uint8_t msg_op;      /* opcode of the message being assembled; 0 = none */
	bool msg_done;       /* msg holds a complete message (cleared by the next call) */
	uint8_t ctl[125];
	size_t ctl_len;
	unsigned close_code;
};

void ws_reader_init(struct ws_reader *r, size_t max_msg);
void ws_reader_free(struct ws_reader *r);

/* Consume at most one frame from buf[0..len). *used is set to the bytes taken
 * (0 when the frame is not complete yet: call again with more). Returns a
 * ws_event (> 0), 0 when a frame was consumed but no event is due (a
 * continuation in progress) or more input is needed, -EPROTO for a protocol
 * violation, -EMSGSIZE when a message would exceed max_msg. After an error
 * the connection must be closed. */
int ws_reader_next(struct ws_reader *r, const uint8_t *buf, size_t len, size_t *used);

#endif
