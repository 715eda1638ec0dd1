/* ws_frame.c - RFC 6455 frame codec; see ws_frame.h. */
#include "sip/ws_frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ws_frame_header(const uint8_t *buf, size_t len, bool require_mask, uint64_t max,
		    struct ws_frame_hdr *h)
{
	if (len < 2)
		return 0;
	uint8_t b0 = buf[0], b1 = buf[1];
	if (b0 & 0x70)              /* RSV1-3: no extension was negotiated */
		return -EPROTO;
	h->fin = (b0 & 0x80) != 0;
	h->opcode = b0 & 0x0f;
	switch (h->opcode) {
	case WS_OP_CONT: case WS_OP_TEXT: case WS_OP_BINARY:
		break;
	case WS_OP_CLOSE: case WS_OP_PING: case WS_OP_PONG:
		if (!h->fin || (b1 & 0x7f) > 125)
			return -EPROTO;
		break;
	default:
		return -EPROTO;
	}
	h->masked = (b1 & 0x80) != 0;
	if (require_mask && !h->masked)
		return -EPROTO;
	size_t need = 2;
	uint64_t plen = b1 & 0x7f;
	if (plen == 126) {
		need += 2;
		if (len < need)
			return 0;
		plen = (uint64_t)buf[2] << 8 | buf[3];
		if (plen < 126)
			return -EPROTO;     /* not the minimal encoding */
	} else if (plen == 127) {
		need += 8;
		if (len < need)
			return 0;
		plen = 0;
		for (int i = 0; i < 8; i++)
			plen = plen << 8 | buf[2 + i];
		if (plen >> 63 || plen <= 0xffff)
			return -EPROTO;
	}
	if (plen > max)
		return -EMSGSIZE;
	if (h->masked) {
		if (len < need + 4)
			return 0;
		memcpy(h->mask, buf + need, 4);
		need += 4;
	} else {
		memset(h->mask, 0, 4);
	}
	h->len = plen;
	h->hdr_len = need;
	return 1;
}

void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], size_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= mask[(off + i) & 3];
}

size_t ws_frame_write_header(uint8_t *out, uint8_t opcode, uint64_t len)
{
	out[0] = 0x80 | (opcode & 0x0f);
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

void ws_reader_init(struct ws_reader *r, size_t max_msg)
{
	memset(r, 0, sizeof *r);
	r->max_msg = max_msg;
}

void ws_reader_free(struct ws_reader *r)
{
	free(r->msg);
	r->msg = NULL;
	r->msg_len = r->msg_cap = 0;
}

static int msg_append(struct ws_reader *r, const uint8_t *p, size_t n, const uint8_t mask[4])
{
	if (n > r->max_msg - r->msg_len)
		return -EMSGSIZE;
	if (r->msg_len + n > r->msg_cap) {
		size_t cap = r->msg_cap ? r->msg_cap : 1024;
		while (cap < r->msg_len + n)
			cap *= 2;
		if (cap > r->max_msg)
			cap = r->max_msg;
		uint8_t *m = realloc(r->msg, cap);
		if (!m)
			return -ENOMEM;
		r->msg = m;
		r->msg_cap = cap;
	}
	memcpy(r->msg + r->msg_len, p, n);
	ws_unmask(r->msg + r->msg_len, n, mask, 0);
	r->msg_len += n;
	return 0;
}

static int control_frame(struct ws_reader *r, const struct ws_frame_hdr *h, const uint8_t *p)
{
	r->ctl_len = (size_t)h->len;
	memcpy(r->ctl, p, r->ctl_len);
	ws_unmask(r->ctl, r->ctl_len, h->mask, 0);
	if (h->opcode == WS_OP_PING)
		return WS_EV_PING;
	if (h->opcode == WS_OP_PONG)
		return WS_EV_PONG;
	if (r->ctl_len == 1)
		return -EPROTO;             /* a close body is a 2-byte code and a reason */
	r->close_code = r->ctl_len >= 2 ? (unsigned)r->ctl[0] << 8 | r->ctl[1] : 0;
	return WS_EV_CLOSE;
}

int ws_reader_next(struct ws_reader *r, const uint8_t *buf, size_t len, size_t *used)
{
	struct ws_frame_hdr h;
	*used = 0;
	if (r->msg_done) {
		r->msg_done = false;
		r->msg_len = 0;
		r->msg_op = 0;
	}
	int rc = ws_frame_header(buf, len, true, r->max_msg, &h);
	if (rc <= 0)
		return rc;
	if (len - h.hdr_len < h.len)
		return 0;
	const uint8_t *p = buf + h.hdr_len;
	*used = h.hdr_len + (size_t)h.len;
	if (h.opcode >= WS_OP_CLOSE)
		return control_frame(r, &h, p);
	if (h.opcode == WS_OP_CONT) {
		if (!r->msg_op)
			return -EPROTO;     /* continuation of nothing */
	} else {
		if (r->msg_op)
			return -EPROTO;     /* new message inside a fragmented one */
		r->msg_op = h.opcode;
		r->msg_len = 0;
	}
	rc = msg_append(r, p, (size_t)h.len, h.mask);
	if (rc < 0)
		return rc;
	if (!h.fin)
		return 0;
	r->msg_done = true;
	return WS_EV_MESSAGE;
}
