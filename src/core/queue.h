/* queue.h - cross-thread message queue woken by an eventfd.
 *
 * Each thread that receives messages (SIP thread, media workers, main) owns one
 * queue. Any thread may post a closure (fn, arg); the owner registers tq_fd()
 * with its loop (su_root_register on the SIP thread, libevent elsewhere) and
 * calls tq_drain() when it is readable, which runs the closures in order on the
 * owner's thread. Control path only: each post allocates one small node; the
 * packet path never posts.
 *
 * Ownership: the queue owns pending nodes; 'arg' stays owned by whoever the
 * message protocol says (usually the receiving fn frees it). tq_free() runs
 * nothing: pending messages are dropped and their drop callbacks (if given)
 * are called so args are not leaked.
 */
#ifndef TANDEM_CORE_QUEUE_H
#define TANDEM_CORE_QUEUE_H

typedef struct tq tq_t;
typedef void (*tq_fn)(void *arg);

tq_t *tq_new(void);
void tq_free(tq_t *q);
int tq_fd(const tq_t *q);
/* Post fn(arg) to run on the owner's thread. 'drop' (may be NULL) is called
 * with arg instead if the queue is freed before the message runs.
 * Returns 0, or -ENOMEM. */
int tq_post(tq_t *q, tq_fn fn, tq_fn drop, void *arg);
/* Owner thread: clear the wake-up and run every pending message. */
void tq_drain(tq_t *q);

#endif
