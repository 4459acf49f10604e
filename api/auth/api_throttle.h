/* Login throttling: after a few failures for one user name, or more for
 * one client address (people behind one NAT share it), further attempts
 * wait for a delay that doubles with each failure (capped), whatever the
 * password. Kept in memory; failures are forgotten after 15 quiet minutes. */
#pragma once
#include <glib.h>

typedef struct LoginThrottle LoginThrottle;

LoginThrottle *api_throttle_new(int user_free, int address_free, gint64 max_delay_s);
void api_throttle_free(LoginThrottle *t);
/* Whole seconds (rounded up) the caller must still wait before trying
 * `user` from `address` (0 = go ahead). `now` in microseconds, e.g.
 * g_get_monotonic_time(). */
gint64 api_throttle_wait(LoginThrottle *t, const char *user, const char *address, gint64 now);
void api_throttle_failed(LoginThrottle *t, const char *user, const char *address, gint64 now);
/* Forgets the user's failures (not the address's). */
void api_throttle_succeeded(LoginThrottle *t, const char *user, const char *address);
