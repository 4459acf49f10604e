// The Export action of a guest's page: a menu of two downloads of
// GET /api/vms/NAME/export, written by vireod while the browser saves it:
// Vireo's own archive (definition, disks, description, tags, owner, with
// SHA-256 digests) or an OVA that VirtualBox and VMware import (an OVF
// descriptor and VMDK disks, which vireod converts before the download
// begins). Only a shut-off guest is exported.

import { h, icon } from './dom.js';

const FORMATS = [
  { format: 'vireo', ext: 'vireo.tar', label: 'Vireo archive', testid: 'export-vireo',
    title: 'Definition, disks and Vireo\'s metadata, for Vireo here or on another host' },
  { format: 'ova', ext: 'ova', label: 'OVA (VirtualBox/VMware)', testid: 'export-ova',
    title: 'An appliance for VirtualBox, VMware or any OVF importer; disks as VMDK' },
];

export function exportButton(vm) {
  const off = vm.state === 'shutoff';
  const label = [icon('download'), h('span', { class: 'btn-label' }, 'Export')];
  if (!off) {
    return h('button', {
      type: 'button', class: 'btn btn-sm', testid: 'action-export', disabled: true,
      title: 'Shut the guest off to export it, or back it up with a backup job while it runs',
    }, label);
  }
  const base = `/api/vms/${encodeURIComponent(vm.name)}/export`;
  const menu = h('div', { class: 'menu export-menu-list', role: 'menu', testid: 'export-menu', 'aria-label': `Export ${vm.name} as` },
    FORMATS.map((f) => h('a', {
      class: 'menu-item', role: 'menuitem', testid: f.testid,
      href: f.format === 'vireo' ? base : `${base}?format=${f.format}`,
      download: `${vm.name}.${f.ext}`, title: f.title,
      // The menu closes once a download is chosen.
      onclick: (e) => { e.currentTarget.closest('details').open = false; },
    }, icon('download'), h('span', {}, f.label))));
  return h('details', { class: 'export-menu' },
    h('summary', {
      class: 'btn btn-sm', testid: 'action-export', 'aria-label': `Export ${vm.name}`,
      title: `Download ${vm.name} as a Vireo archive or an OVA`,
    }, label),
    menu);
}
