// "Eject the installer and boot from disk" (POST /api/vms/NAME/eject-installer),
// shared by the guest's page and the console page: whether a guest holds an
// installer (a CD-ROM drive with a medium) and the words for what the
// eject did.

import { api } from './api.js';

export const EJECT_LABEL = 'Eject installer';
export const EJECT_TITLE = 'Empty the CD-ROM drives and boot from the disk from now on';

// A CD-ROM drive with a medium in it (live while running); a cloud-init
// seed is the VM's own medium (`owned`), not an installer.
export const hasInstaller = (vm) => !!vm && (vm.disks || []).some((d) => d.device === 'cdrom' && d.source && !d.owned);

// Resolves to {vm, message}; rejects with the ApiError.
export async function ejectInstaller(name, etag = null) {
  const { data } = await api.ejectInstaller(name, etag);
  const { ejected = [], boot_changed: moved = false } = data;
  delete data.ejected;
  delete data.boot_changed;
  const running = data.state === 'running' || data.state === 'paused';
  const parts = [];
  if (ejected.length) parts.push(`${ejected.join(', ')} emptied`);
  if (moved) parts.push(running ? 'the disk boots first from the next start' : 'the disk boots first');
  return { vm: data, message: parts.length ? `${name}: ${parts.join('; ')}` : `${name} had no installer to eject` };
}
