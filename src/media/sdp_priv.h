/* sdp_priv.h - helpers shared by the sdp_*.c files only (not part of the
 * media API; include "media/sdp.h" instead).
 */
#ifndef TANDEM_MEDIA_SDP_PRIV_H
#define TANDEM_MEDIA_SDP_PRIV_H

#include <stdbool.h>
#include <stddef.h>

/* Copy src into dst[size] if it fits (with its NUL); returns false and
 * leaves dst empty when it does not. Truncating addresses, keys or codec
 * names would silently change their meaning, so we never do. */
bool msdp_copy_fit(char *dst, size_t size, const char *src);

/* True if s holds no control characters (other than tab): such bytes have
 * no place in an SDP value and could confuse a peer's line splitting. */
bool msdp_text_clean(const char *s);

#endif
