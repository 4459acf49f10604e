/* The event stream's memory of recent events, so that a client that lost
 * its connection can resume where it was (Last-Event-ID): a ring of the
 * newest events, bounded in count and in bytes, each numbered in order.
 * Not thread-safe: the hub's lock guards it. */
#pragma once
#include <glib.h>

typedef struct EventRing EventRing;

/* Holds at most `max_items` items and `max_bytes` of their sizes;
 * `free_item` drops an item that falls out (may be NULL). */
EventRing *event_ring_new(guint max_items, gsize max_bytes, GDestroyNotify free_item);
void event_ring_free(EventRing *ring);

/* Stores `item` (taken) of `size` bytes as the newest and answers its
 * number: 1 for the first, then one more each time. The oldest items
 * fall out while the bounds are exceeded (the newest always stays). */
guint64 event_ring_push(EventRing *ring, gpointer item, gsize size);
/* The newest number given (0 before the first push) and the oldest number
 * still held (last + 1 when empty). */
guint64 event_ring_last(const EventRing *ring);
guint64 event_ring_first(const EventRing *ring);
guint event_ring_count(const EventRing *ring);
gsize event_ring_bytes(const EventRing *ring);

/* Calls `fn` for every item numbered after `after`, oldest first. */
void event_ring_each_after(const EventRing *ring, guint64 after,
                           void (*fn)(guint64 seq, gpointer item, gpointer data), gpointer data);

/* Where a client that says it last saw `last_id` resumes. Ids are
 * "EPOCH-SEQ": EPOCH names the process that numbered the events (a
 * restarted vireod numbers anew), SEQ an event number. */
typedef enum {
    EVENT_RESUME_FRESH,  /* no id: a new client, nothing to replay */
    EVENT_RESUME_REPLAY, /* replay every event after *after (possibly none) */
    EVENT_RESUME_LOST,   /* events it missed are gone (too old, another
                           * epoch, or an id we never gave): it must reload */
} EventResume;

EventResume event_ring_resume(const EventRing *ring, const char *epoch, const char *last_id,
                              guint64 *after);
/* The id of event `seq` ("EPOCH-SEQ"). */
char *event_ring_id(const char *epoch, guint64 seq);
