/* One in-memory model of the host's domains, for the VM list: every
 * domain's summary (name, state, vCPUs, memory, autostart, persistence,
 * description), kept true by libvirt's events (lifecycle, devices,
 * metadata, balloon) and by revalidation with the three bulk calls of
 * virt_domain_list: at once after every event and every change Vireo
 * makes, after every reconnect, and every 250 ms while anyone lists VMs or
 * follows the event stream. A snapshot answered is never staler than
 * 500 ms for changes libvirt raises no event for (virsh autostart,
 * setmem/setvcpus --config) and holds every change an event or a Vireo
 * request announced before it was asked for; otherwise the caller waits
 * for the next fetch, which every waiting caller shares.
 * docs/vm-list.md says why. */
#pragma once
#include "virt/virt_conn.h"
#include "virt/virt_domain.h"

typedef struct VirtModel VirtModel;

/* The domains at one moment: immutable, shared by every reader. */
typedef struct {
    guint64 generation; /* differs whenever anything in `domains` differs */
    GPtrArray *domains; /* const VirtDomainSummary*, by name; descriptions never NULL */
    gint ref;
} VirtModelSnapshot;

VirtModelSnapshot *virt_model_snapshot_ref(VirtModelSnapshot *s);
void virt_model_snapshot_unref(VirtModelSnapshot *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtModelSnapshot, virt_model_snapshot_unref)

/* A change found by a fetch that no libvirt event told of: autostart, or
 * vCPUs or memory (VIRT_DOMAIN_EVENT_CHANGED), and after a reconnect
 * anything that changed meanwhile (VIR_DOMAIN_EVENT_DEFINED: a domain
 * appeared, VIR_DOMAIN_EVENT_UNDEFINED: one went, or CHANGED). While
 * connected, libvirt's own events tell of the rest. From the model's
 * thread. */
typedef void (*VirtModelChangeFunc)(const char *uuid, const char *name, int event, gpointer data);
/* TRUE while someone follows changes (open event streams): the model then
 * revalidates even when nobody lists, so such changes reach them too. */
typedef gboolean (*VirtModelWatchedFunc)(gpointer data);

/* Both callbacks may be NULL. Nothing is fetched before the first
 * virt_model_reconnected. */
VirtModel *virt_model_new(VirtConn *vc, VirtModelChangeFunc on_change, VirtModelWatchedFunc watched,
                          gpointer data);
void virt_model_free(VirtModel *m);

/* libvirt raised an event for domain `uuid` (any event: its description
 * is read again too). Never blocks. */
void virt_model_domain_event(VirtModel *m, const char *uuid);
/* After each (re)connect: the next snapshot waits for a fetch on the new
 * connection, which reads everything again, descriptions too, and tells
 * what changed while libvirt was away (events were missed). */
void virt_model_reconnected(VirtModel *m);
/* Vireo changed domain `uuid` (NULL: some domain): the next snapshot comes
 * from a fetch begun after this call, so a caller reads its own change. */
void virt_model_invalidate(VirtModel *m, const char *uuid);

/* The domains, as fresh as the header says; waits for a fetch when the
 * last one is too old. NULL with VIRT_ERROR_UNAVAILABLE while libvirt is
 * away, or the error of the fetch that failed. */
VirtModelSnapshot *virt_model_snapshot(VirtModel *m, GError **error);
/* The same, waiting `wait_us` at most (a list across hosts must not wait
 * long for one of them). */
VirtModelSnapshot *virt_model_snapshot_within(VirtModel *m, gint64 wait_us, GError **error);
/* A snapshot will be asked for soon: when the last one is too old and no
 * fetch runs, one begins now. A list across hosts asks every host first
 * and waits after, so the hosts fetch at the same time rather than one
 * after another. Never blocks. */
void virt_model_ask(VirtModel *m);
/* The last snapshot taken, however old, without waiting; NULL before the
 * first fetch. What a host that went away was last known to hold. */
VirtModelSnapshot *virt_model_last(VirtModel *m);

/* What a fetch tells of (exposed for tests): the differences between the
 * domains `old` (NULL: the first fetch, nothing is told) and `now`, of
 * fields libvirt raises no event for, or of every field when events were
 * `missed`. Completes `now`'s descriptions that were not read from `old`.
 * TRUE when anything differs at all. */
typedef struct {
    char uuid[VIR_UUID_STRING_BUFLEN];
    char *name;
    int event;
} VirtModelChange;
void virt_model_change_free(VirtModelChange *c);
gboolean virt_model_diff(GPtrArray *old, GPtrArray *now, gboolean missed, GPtrArray *changes);

typedef struct {
    guint64 fetches;       /* bulk fetches done */
    guint64 last_fetch_us; /* how long the last one took */
    guint64 interval_us;   /* between fetches while watched */
} VirtModelStats;
void virt_model_stats(VirtModel *m, VirtModelStats *out);
/* How long the fetch under way has waited for libvirt (0: none runs): a
 * host whose daemon hangs answers nothing long before the watchdog cuts
 * its connection. */
gint64 virt_model_waiting_us(VirtModel *m);
