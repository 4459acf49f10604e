// A guest's buttons in the list: the one action its state calls for
// (Start, Resume or Shutdown) and the console, both with their words, and
// "More" opening the rest (reboot, power off, suspend, delete ...) in a
// popover, which sits above the table's scroll box so nothing clips it and
// closes on Escape or a click elsewhere.

import { h, icon, uid } from './dom.js';
import { actionButton, deleteVm } from './actions.js';
import { consoleLink } from './console-links.js';
import { canDo } from './states.js';

const MAIN = ['start', 'resume', 'shutdown'];
const ALL = ['start', 'shutdown', 'reboot', 'poweroff', 'suspend', 'resume', 'reset'];

// The action the row shows by itself.
function primary(vm) {
  return MAIN.find((a) => canDo(a, vm.state)) || (vm.state === 'paused' ? 'resume' : 'start');
}

export function rowActions(vm, pending) {
  const first = primary(vm);
  const menuId = uid('vm-more');
  // Its buttons are made when it first opens: a list of hundreds of rows
  // builds only what it shows.
  const menu = h('div', {
    class: 'menu row-menu', id: menuId, popover: 'auto', testid: 'vm-more-menu', role: 'group', 'aria-label': `More actions for ${vm.name}`,
  });
  const more = h('button', {
    type: 'button', class: 'btn btn-sm btn-more', testid: 'vm-more', popovertarget: menuId,
    'aria-label': `More actions for ${vm.name}`, title: 'More actions',
  }, icon('chevron'), h('span', { class: 'btn-label' }, 'More'));
  menu.addEventListener('beforetoggle', (e) => {
    if (e.newState !== 'open') return;
    if (!menu.firstChild) fillMenu(menu, vm, first, pending);
    place(menu, more);
  });
  // Closes once an action is chosen.
  menu.addEventListener('click', (e) => { if (e.target.closest('button')) menu.hidePopover(); });
  return h('div', { class: 'actions vm-actions', role: 'group', 'aria-label': `Actions for ${vm.name}` },
    actionButton(vm, first, { pending }),
    consoleLink(vm, 'vnc', { label: 'Console', cls: 'btn btn-sm btn-action', testid: 'vm-console' }),
    more, menu);
}

function fillMenu(menu, vm, first, pending) {
  menu.append(
    ...ALL.filter((a) => a !== first).map((a) => actionButton(vm, a, { pending, menu: true })),
    h('div', { class: 'menu-sep', role: 'separator' }),
    h('button', {
      type: 'button', class: 'menu-item menu-item-danger', testid: 'action-delete', 'aria-label': `Delete ${vm.name}`,
      disabled: !!(pending && pending.inflight),
      onclick: () => deleteVm(vm),
    }, icon('trash'), h('span', {}, 'Delete…')));
}

// Below the button, right-aligned with it, or above when there is no room.
function place(menu, btn) {
  const r = btn.getBoundingClientRect();
  menu.style.position = 'fixed';
  menu.style.margin = '0';
  menu.style.inset = 'auto';
  menu.style.right = `${Math.max(8, window.innerWidth - r.right)}px`;
  const below = window.innerHeight - r.bottom;
  if (below < 300 && r.top > below) menu.style.bottom = `${window.innerHeight - r.top + 6}px`;
  else menu.style.top = `${r.bottom + 6}px`;
}
