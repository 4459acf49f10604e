// Lifecycle actions and deletion, shared by the list and the detail view:
// confirmation where it matters, pending marks, toasts and error banners.

import { api } from './api.js';
import { h, icon } from './dom.js';
import * as live from './live.js';
import { ACTIONS, canDo, stateInfo } from './states.js';
import { confirmDialog, showError, toast } from './ui.js';
import { spinner } from './widgets.js';

// Actions whose effect shows in the state only once the guest OS reacts.
const SLOW = new Set(['shutdown']);

// Runs `action` on `vm` (a summary or detail). Resolves to {data, etag} or null.
export async function runAction(vm, action) {
  const a = ACTIONS[action];
  const name = vm.name;
  if (action === 'poweroff' || action === 'reset') {
    const what = action === 'poweroff'
      ? 'The guest loses power at once: unsaved data in it is lost and its disks may need a check. Prefer Shutdown when the guest OS is responsive.'
      : 'The guest restarts at once without shutting down its OS: unsaved data in it is lost.';
    const { ok } = await confirmDialog({
      title: `${a.label} “${name}”?`,
      body: [what],
      confirmLabel: a.label,
    });
    if (!ok) return null;
  }

  try {
    const res = await sendAction(vm, action);
    toast(`“${name}” ${a.done}`);
    return res;
  } catch (e) {
    showError(e, `Could not ${a.label.toLowerCase()} “${name}”`);
    return null;
  }
}

// Sends `action` for `vm` with no question asked and no toast: the guest's
// row shows it pending meanwhile, and the answer updates the list at once.
// Resolves to {data, etag}; rejects with the ApiError (the list is then
// read again).
export async function sendAction(vm, action) {
  const a = ACTIONS[action];
  const { name } = vm;
  live.setPending(name, { action, label: `${a.verb}…`, fromState: vm.state, inflight: true });
  try {
    const res = await api.action(name, action);
    if (SLOW.has(action) && res.data && stateInfo(res.data.state).active) {
      live.setPending(name, { action, label: `${a.verb}…`, fromState: res.data.state, inflight: false });
    } else {
      live.setPending(name, null);
    }
    live.applyVm(res.data);
    return res;
  } catch (e) {
    live.setPending(name, null);
    live.refreshNow();
    throw e;
  }
}

// One button for one action, enabled only when the state allows it; `menu`
// draws it as an item of a drop-down menu.
export function actionButton(vm, action, { pending, menu = false } = {}) {
  const a = ACTIONS[action];
  const busy = pending && pending.inflight;
  const spinning = busy && pending.action === action;
  const allowed = canDo(action, vm.state);
  const look = menu ? `menu-item${a.danger ? ' menu-item-danger' : ''}`
    : `btn btn-sm btn-action${a.danger ? ' btn-action-danger' : ''}`;
  const btn = h('button', {
    type: 'button',
    class: `${look}${spinning ? ' is-busy' : ''}`,
    testid: `action-${action}`,
    dataset: { action },
    'aria-label': `${a.label} ${vm.name}`,
    title: allowed ? (a.hint || a.label) : `${a.label}: not possible while ${stateInfo(vm.state).label}`,
    disabled: !allowed || !!busy,
    onclick: () => runAction(vm, action),
  }, spinning ? spinner() : icon(a.icon), h('span', { class: 'btn-label' }, a.label));
  return btn;
}

// Asks, then deletes. Resolves to true when the guest is gone.
export async function deleteVm(vm) {
  const active = stateInfo(vm.state).active;
  const body = [`This removes “${vm.name}” from libvirt and from Vireo.`];
  if (active) body.push(h('p', { class: 'dialog-warn' }, icon('alert'), ` It is ${stateInfo(vm.state).label}: it will be powered off first.`));
  const { ok, checked } = await confirmDialog({
    title: `Delete “${vm.name}”?`,
    body,
    confirmLabel: 'Delete guest',
    checkbox: 'Also delete its disk volumes (cannot be undone)',
  });
  if (!ok) return false;
  try {
    await sendDelete(vm, { volumes: checked });
    toast(checked ? `“${vm.name}” and its volumes were deleted` : `“${vm.name}” was deleted`);
    return true;
  } catch (e) {
    showError(e, `Could not delete “${vm.name}”`);
    return false;
  }
}

// Deletes `vm` with no question asked (powered off first when it runs),
// and its disk volumes too when `volumes`. Rejects with the ApiError.
export async function sendDelete(vm, { volumes = false } = {}) {
  live.setPending(vm.name, { action: 'delete', label: 'Deleting…', fromState: vm.state, inflight: true });
  try {
    await api.deleteVm(vm.name, { force: stateInfo(vm.state).active, volumes });
    live.removeVm(vm.name);
  } catch (e) {
    live.setPending(vm.name, null);
    live.refreshNow();
    throw e;
  }
}
