/* ctl.h - the control socket: a Unix stream socket that tandemctl talks to.
 *
 * Runs on the main thread's libevent event_base. Other parts of the daemon
 * register commands (name, one-line help, handler); the server owns the socket,
 * the connections and the request/reply framing.
 *
 * Protocol (one request line in, one JSON line out):
 *   - A request is one line of UTF-8 terminated by '\n' (a '\r' before it is
 *     dropped), at most TCTL_MAX_LINE bytes without the '\n', split into at most
 *     TCTL_MAX_ARGS words by spaces or tabs (see tctl_parse_line for quoting).
 *     The first word is the command. Empty lines are ignored (no reply).
 *   - The reply is one compact JSON object on one line: {"ok":true,...} with
 *     the handler's keys, or {"ok":false,"error":"..."}.
 *   - A connection may send several requests; replies come back in order.
 *     A final line without '\n' before the client shuts down its writing side
 *     is still answered.
 *   - An oversize line gets an error reply and the connection is closed. So is
 *     a connection idle for TCTL_IDLE_TIMEOUT_MS (reading or writing), and a
 *     connection beyond TCTL_MAX_CLIENTS gets {"ok":false,...} and is closed.
 *   - The built-in command "help" lists the commands:
 *     {"ok":true,"commands":[{"command":"help","help":"..."},...]}.
 *
 * Access control is the file mode of the socket (connect(2) needs write
 * permission on it). The server writes with writev(2): the daemon must ignore
 * SIGPIPE, as it must for every socket it writes to.
 *
 * Ownership: tctl_new() returns a server owned by the caller; tctl_free()
 * closes every connection, the listening socket, and unlinks the socket file
 * (only if it is still the one this server created). Registered names and
 * help strings are copied. A handler's 'arg' stays owned by the caller and must
 * outlive the server. A handler's *reply is owned by the server once the
 * handler returns. Everything here runs on the thread that runs 'base'; call
 * tctl_register() before that thread starts or from it, and never call
 * tctl_free() from inside a handler.
 */
#ifndef TANDEM_CORE_CTL_H
#define TANDEM_CORE_CTL_H

#include <stddef.h>
#include <jansson.h>

struct event_base;

#define TCTL_MAX_LINE           4096    /* bytes in a request line, without '\n' */
#define TCTL_MAX_ARGS           32      /* words in a request line */
#define TCTL_MAX_CLIENTS        64      /* concurrent connections */
#define TCTL_IDLE_TIMEOUT_MS    30000   /* close a connection idle this long */
#define TCTL_MAX_NAME           32      /* bytes in a command name */

typedef struct tctl tctl_t;

/* A command handler, run on the main thread. argv[0] is the command name,
 * argv[1..argc-1] its arguments; argv[argc] is NULL. The strings live until the
 * handler returns.
 *
 * On success return 0 and set *reply to a new JSON object (its keys go into the
 * reply next to "ok"), or leave it NULL for a bare {"ok":true}. A non-object
 * value is sent as {"ok":true,"result":value}.
 * On failure return a negative errno; set *reply to {"error":"what went wrong"}
 * (other keys are kept), or leave it NULL and the error is strerror(-ret). */
typedef int (*tctl_handler_fn)(void *arg, int argc, char **argv, json_t **reply);

/* Listen on 'path' with file mode 'mode' (e.g. 0660). Creates missing parent
 * directories with mode 0755. If 'path' exists: a socket nobody listens on
 * (left by a crashed daemon) is replaced; a socket a live process answers on
 * gives -EADDRINUSE, so a second tandemd never steals the first one's socket;
 * anything that is not a socket gives -EEXIST and is left alone.
 * Returns 0 and sets *out, or a negative errno (-ENAMETOOLONG if 'path' does not
 * fit a sockaddr_un). Logs the reason on failure. */
int tctl_new(struct event_base *base, const char *path, unsigned mode, tctl_t **out);

/* Close all connections and the socket; unlink the socket file. NULL is fine. */
void tctl_free(tctl_t *ctl);

/* Add a command. 'name' is 1..TCTL_MAX_NAME printable ASCII bytes without
 * spaces or quotes; 'help' is one line. Returns 0, -EINVAL (bad name or NULL
 * fn), -EEXIST (name taken, "help" included) or -ENOMEM. */
int tctl_register(tctl_t *ctl, const char *name, const char *help,
                  tctl_handler_fn fn, void *arg);

/* The socket path this server listens on. */
const char *tctl_path(const tctl_t *ctl);

/* Override the connection limits (tests use short timeouts). 0 keeps the
 * current value. Applies to connections accepted afterwards. */
void tctl_set_limits(tctl_t *ctl, unsigned max_clients, unsigned idle_timeout_ms);

/* Split one request line (without its '\n'; a trailing '\r' is not stripped
 * here) into words. Pure function: no allocation, no I/O; the line may come
 * from anyone who can connect, so every byte is checked.
 *
 * Words are separated by runs of spaces or tabs. A double quote starts a quoted
 * part that ends at the next unescaped double quote; inside it spaces and tabs
 * are kept, and \" and \\ stand for " and \ (any other backslash is kept as
 * is). Quoted and unquoted parts next to each other form one word, so ""
 * is an empty word and key="a b" is the word key=a b. Outside quotes a
 * backslash is an ordinary character.
 *
 * Words are copied NUL-terminated into 'store' (storelen >= len + 1 is always
 * enough) and argv[i] points into it; argv[argc] is set to NULL, so argv needs
 * maxargs + 1 slots.
 * Returns argc (0 for a blank line), or:
 *   -EINVAL  a control character (other than tab), or a NUL byte
 *   -EBADMSG unterminated quote
 *   -EILSEQ  not valid UTF-8 (overlong forms and surrogates included)
 *   -E2BIG   more than maxargs words
 *   -ENOBUFS store too small */
int tctl_parse_line(const char *buf, size_t len, char **argv, int maxargs,
                    char *store, size_t storelen);

#endif
