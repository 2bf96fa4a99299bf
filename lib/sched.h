/*
 * The scheduler: when each domain is next due. Every domain is checked once per interval
 * (its own or the default), new domains are spread evenly over the first interval, a
 * restart keeps the persisted due times (overdue domains are spread over one interval, not
 * checked all at once), and a check that runs late never makes a domain overlap itself:
 * missed slots are skipped. Pure: time comes in as a parameter (seconds).
 */
#ifndef MXW_SCHED_H
#define MXW_SCHED_H

#include <stddef.h>
#include <stdint.h>

struct sched;

/* Returns an empty scheduler; caller frees with sched_free. */
struct sched *sched_new(void);
/* Frees a scheduler; NULL does nothing. */
void sched_free(struct sched *s);

/* Adds domain name (copied) with its interval. next_due is the persisted due time (0:
 * never scheduled). rank/count place a new domain evenly: the rank-th of count new domains
 * is first due at now + interval * rank / count. An existing domain only gets its interval
 * updated. */
void sched_add(struct sched *s, const char *name, unsigned interval_s, int64_t next_due,
	       int64_t now, size_t rank, size_t count);
/* Removes a domain; unknown names are ignored. A running check of it ends unscheduled. */
void sched_remove(struct sched *s, const char *name);
/* Number of domains scheduled. */
size_t sched_count(const struct sched *s);

/* Takes the next domain due at or before now that is not running, marks it running and
 * returns its name (borrowed until sched_done/sched_remove), or NULL. */
const char *sched_take(struct sched *s, int64_t now);
/* Marks a running domain's check done at now; returns its next due time (-1 if unknown). */
int64_t sched_done(struct sched *s, const char *name, int64_t now);
/* The earliest due time of a domain not running, or -1 when there is none. */
int64_t sched_next(const struct sched *s);
/* The due time of a domain (-1 if unknown). */
int64_t sched_due_of(const struct sched *s, const char *name);

#endif
