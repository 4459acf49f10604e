/* Screenshots already made, kept a moment per VM UUID and width, so that
 * many open lists of many VMs make QEMU render each screen at most once
 * per moment. One object, made in main() and kept in ApiContext. */
#pragma once
#include <glib.h>

typedef struct ApiShotCache ApiShotCache;

/* Shots live `ttl_us`; at most `max_entries` of them and `max_bytes` of
 * PNG are kept (the oldest go first). A caller waits at most `wait_us` for
 * another that is taking the same shot. */
ApiShotCache *api_shot_cache_new(gint64 ttl_us, guint max_entries, gsize max_bytes, gint64 wait_us);
/* Only when no request uses it any more. NULL is fine. */
void api_shot_cache_free(ApiShotCache *c);

/* TRUE with a shot of `uuid` at `width` taken less than ttl before `now_us`
 * (monotonic): new references in *ret_png and *ret_etag. When another
 * caller is taking that shot right now, waits for it first (single
 * flight: QEMU renders it once). FALSE when there is none: the caller then
 * holds a claim on it and must end it with api_shot_cache_put (success)
 * or api_shot_cache_drop (failure), or others wait for nothing. */
gboolean api_shot_cache_get(ApiShotCache *c, const char *uuid, guint width, gint64 now_us,
                            GBytes **ret_png, char **ret_etag);
/* Keeps the shot a claimer took; `taken_us` is when it asked the
 * hypervisor (its age counts from then). */
void api_shot_cache_put(ApiShotCache *c, const char *uuid, guint width, GBytes *png,
                        const char *etag, gint64 taken_us);
void api_shot_cache_drop(ApiShotCache *c, const char *uuid, guint width);

/* For tests: shots kept, and callers waiting for another's shot now. */
guint api_shot_cache_size(ApiShotCache *c);
guint api_shot_cache_waiters(ApiShotCache *c);
