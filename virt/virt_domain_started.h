/* When a running VM started. libvirt does not say; on the host itself the
 * QEMU process does: libvirt's pid file of a qemu:///system domain names
 * it, and /proc gives its start time. The process is checked to be the
 * domain's (its command line carries the domain's UUID), so a pid reused
 * by another process is never taken for it. */
#pragma once
#include <glib.h>

/* TRUE when `uri` names a hypervisor on this host (no host part). */
gboolean virt_uri_is_local(const char *uri);
/* libvirt's run directory of QEMU domains for `uri` when it runs on this
 * host as qemu:///system ("/run/libvirt/qemu"), else NULL. */
const char *virt_qemu_run_dir(const char *uri);

/* Unix seconds when the QEMU process of domain `name` (`uuid`) started,
 * read from `run_dir`/NAME.pid and /proc; 0 when that cannot tell. */
gint64 virt_domain_process_start(const char *run_dir, const char *name, const char *uuid);

/* The parts, for tests: a process' start from its /proc/PID/stat text,
 * /proc/stat's text (btime) and the clock ticks per second; 0 when
 * malformed. */
gint64 virt_proc_start_time(const char *pid_stat, const char *proc_stat, long ticks);
/* TRUE when a NUL-separated command line has "-uuid" followed by `uuid`. */
gboolean virt_cmdline_has_uuid(const char *cmdline, gsize len, const char *uuid);
