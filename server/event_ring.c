/* A bounded ring of numbered events (see event_ring.h). A GQueue is enough:
 * items are only added at the head and dropped at the tail. */
#include "server/event_ring.h"

#include <string.h>

typedef struct {
    guint64 seq;
    gsize size;
    gpointer item;
} Slot;

struct EventRing {
    GQueue slots; /* Slot*, oldest at the head */
    guint max_items;
    gsize max_bytes;
    gsize bytes;
    guint64 last;
    GDestroyNotify free_item;
};

EventRing *event_ring_new(guint max_items, gsize max_bytes, GDestroyNotify free_item)
{
    EventRing *r = g_new0(EventRing, 1);
    g_queue_init(&r->slots);
    r->max_items = MAX(max_items, 1);
    r->max_bytes = max_bytes;
    r->free_item = free_item;
    return r;
}

static void drop_oldest(EventRing *r)
{
    Slot *s = g_queue_pop_head(&r->slots);
    r->bytes -= s->size;
    if (r->free_item)
        r->free_item(s->item);
    g_free(s);
}

void event_ring_free(EventRing *r)
{
    if (!r)
        return;
    while (!g_queue_is_empty(&r->slots))
        drop_oldest(r);
    g_free(r);
}

guint64 event_ring_push(EventRing *r, gpointer item, gsize size)
{
    Slot *s = g_new(Slot, 1);
    s->seq = ++r->last;
    s->size = size;
    s->item = item;
    g_queue_push_tail(&r->slots, s);
    r->bytes += size;
    while (r->slots.length > 1 && (r->slots.length > r->max_items || r->bytes > r->max_bytes))
        drop_oldest(r);
    return s->seq;
}

guint64 event_ring_last(const EventRing *r)
{
    return r->last;
}

guint64 event_ring_first(const EventRing *r)
{
    const Slot *s = g_queue_peek_head((GQueue *)&r->slots);
    return s ? s->seq : r->last + 1;
}

guint event_ring_count(const EventRing *r)
{
    return r->slots.length;
}

gsize event_ring_bytes(const EventRing *r)
{
    return r->bytes;
}

void event_ring_each_after(const EventRing *r, guint64 after,
                           void (*fn)(guint64 seq, gpointer item, gpointer data), gpointer data)
{
    /* The wanted items are the newest ones: walk back to the first. */
    GList *l = r->slots.tail;
    while (l && l->prev && ((Slot *)l->prev->data)->seq > after)
        l = l->prev;
    for (; l; l = l->next) {
        const Slot *s = l->data;
        if (s->seq > after)
            fn(s->seq, s->item, data);
    }
}

char *event_ring_id(const char *epoch, guint64 seq)
{
    return g_strdup_printf("%s-%" G_GUINT64_FORMAT, epoch, seq);
}

EventResume event_ring_resume(const EventRing *r, const char *epoch, const char *last_id,
                              guint64 *after)
{
    *after = r->last;
    if (!last_id || !*last_id)
        return EVENT_RESUME_FRESH;
    const char *dash = strrchr(last_id, '-');
    gsize epoch_len = strlen(epoch);
    guint64 seq;
    if (!dash || (gsize)(dash - last_id) != epoch_len || strncmp(last_id, epoch, epoch_len) != 0 ||
        !g_ascii_string_to_unsigned(dash + 1, 10, 0, G_MAXUINT64, &seq, NULL))
        return EVENT_RESUME_LOST;
    /* Every event after `seq` must still be here: the oldest held is at
     * most seq + 1. A number from the future was never given. */
    if (seq > r->last || seq + 1 < event_ring_first(r))
        return EVENT_RESUME_LOST;
    *after = seq;
    return EVENT_RESUME_REPLAY;
}
