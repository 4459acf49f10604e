// The Export action of a guest's page: a download link to
// GET /api/vms/NAME/export (Vireo's own archive: definition, disks,
// description, tags, owner, with SHA-256 digests), written by vireod while
// the browser saves it. Only a shut-off guest is exported.

import { h, icon } from './dom.js';

export function exportButton(vm) {
  const off = vm.state === 'shutoff';
  const label = [icon('download'), h('span', { class: 'btn-label' }, 'Export')];
  if (!off) {
    return h('button', {
      type: 'button', class: 'btn btn-sm', testid: 'action-export', disabled: true,
      title: 'Shut the guest off to export it, or back it up with a backup job while it runs',
    }, label);
  }
  return h('a', {
    class: 'btn btn-sm', testid: 'action-export', href: `/api/vms/${encodeURIComponent(vm.name)}/export`,
    download: `${vm.name}.vireo.tar`, title: `Download ${vm.name} as a Vireo archive (definition and disks)`,
    'aria-label': `Export ${vm.name}`,
  }, label);
}
