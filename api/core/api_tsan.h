/* Hand-over points that ThreadSanitizer cannot see by itself: GLib passes
 * work between threads through its own queues, whose locks are raw futexes
 * in GLib 2.74 (tests/tsan/glib_tsan_shim.c covers only Vireo's own
 * GMutex/GCond calls). Outside the TSan build (`make tsan`) these are no-ops. */
#pragma once

#if defined(__SANITIZE_THREAD__)
#define API_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define API_TSAN 1
#endif
#endif

#ifdef API_TSAN
#include <sanitizer/tsan_interface.h>
/* What this thread wrote before handing `addr` over ... */
#define API_TSAN_RELEASE(addr) __tsan_release((void *)(addr))
/* ... is seen by the thread that takes it over. */
#define API_TSAN_ACQUIRE(addr) __tsan_acquire((void *)(addr))
#else
#define API_TSAN_RELEASE(addr) ((void)(addr))
#define API_TSAN_ACQUIRE(addr) ((void)(addr))
#endif
