/* After an OS is installed: the installer's media out of the CD-ROM
 * drives and the disk first in the boot order, in one step. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

/* Empties every CD-ROM drive of the VM (in the running guest, and in its
 * persistent definition) and puts a disk first in the definition's boot
 * order. The running guest's boot order cannot change live, but with its
 * drives empty its firmware goes on to the disk at the next reset anyway.
 * `ejected` gets the targets of the drives that held a medium (live or in
 * the definition), `boot_changed` whether the order moved; nothing to do
 * is a success with both empty. A transient VM whose boot order would
 * have to change is INVALID_STATE before anything changes. On failure the
 * definition is restored and the media already taken out are put back (see
 * the .c file for what that cannot undo). */
gboolean virt_domain_eject_installer(virDomainPtr dom, GStrv *ejected, gboolean *boot_changed,
                                     GError **error);
