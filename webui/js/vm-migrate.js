// The Migrate action of a guest's page: a dialog with the target host (every
// other host vireod drives), live or not, and whether to copy the disks; it
// asks vireod to move the guest (POST /api/vms/NAME/migrate), follows the
// move's task with its progress (also in the header's task drawer, where it
// can be cancelled), then shows the guest on its new host (docs/hosts.md).

import { api, request } from './api.js';
import { h, icon } from './dom.js';
import { FormError, checkInput, field, formDialog, selectInput } from './forms.js';
import { followTask } from './live.js';
import { navigate, vmHref } from './router.js';
import { toast } from './ui.js';
import { progressBar } from './widgets.js';

// The head button; `vm` is the page's detail (with its `host`). Shown only
// when there is another host to move to.
export function migrateButton(vm, hosts) {
  const others = (hosts || []).filter((x) => !vm.host || x.id !== vm.host.id);
  if (!others.length) return null;
  return h('button', {
    type: 'button', class: 'btn btn-sm', testid: 'action-migrate',
    title: `Move ${vm.name} to another host`, 'aria-label': `Migrate ${vm.name}`,
    onclick: () => migrateDialog(vm, others),
  }, icon('net'), h('span', { class: 'btn-label' }, 'Migrate'));
}

// The hosts a guest may move to (every user may use every host).
export async function loadHosts() {
  try {
    const { data } = await api.hosts();
    return data.hosts || [];
  } catch {
    return [];
  }
}

async function migrateDialog(vm, others) {
  const running = vm.state === 'running' || vm.state === 'paused';
  const target = selectInput({
    testid: 'migrate-host', 'aria-label': 'Target host',
    options: others.map((x) => [String(x.id), `${x.name}${x.state === 'connected' ? '' : ` (${x.state})`}`]),
  });
  const live = checkInput({
    testid: 'migrate-live', label: 'Keep it running', checked: true,
    hint: running ? 'The guest runs on while its memory is copied; it pauses for a moment at the end. Unticked, it is paused for the whole copy.' : 'A shut-off guest moves offline: its definition (and its disks, below).',
  });
  const copy = checkInput({
    testid: 'migrate-copy-storage', label: 'Copy its disks',
    hint: 'For hosts that do not share storage: each disk is copied into the pool of the same name on the target, then deleted here.',
  });
  const bar = progressBar({ testid: 'migrate-progress', label: 'Moving the guest' });
  const status = h('p', { class: 'muted', testid: 'migrate-progress-text', 'aria-live': 'polite' });
  const progress = h('div', { class: 'upload-progress', hidden: true }, bar.el, status);
  const moved = await formDialog({
    title: `Migrate ${vm.name}`,
    intro: `From ${vm.host ? vm.host.name : 'this host'}. The target is checked first (its networks, pools, CPU and memory); the guest keeps its name, UUID, owner, grants, description and tags.`,
    submitLabel: 'Migrate',
    testid: 'migrate-dialog',
    content: [field({ label: 'Target host', control: target }), live.el, copy.el, progress],
    submit: async () => {
      const to = others.find((x) => String(x.id) === target.value);
      if (!to) throw new FormError('Choose the host to move to.', target);
      const res = await request('POST', `/api/vms/${encodeURIComponent(vm.name)}/migrate`, {
        body: { host: String(to.id), live: live.input.checked, copy_storage: copy.input.checked },
      });
      progress.hidden = false;
      const end = await followTask(res.data.id, (t) => {
        bar.set(t.progress);
        status.textContent = `${t.progress}% · ${t.message || t.state}`;
      }).done;
      if (end.state !== 'succeeded') throw new Error(`The guest stayed where it was: ${end.error ? end.error.message : end.state}`);
      return to;
    },
  });
  if (!moved) return;
  toast(`“${vm.name}” runs on ${moved.name} now`);
  navigate(vmHref(vm.name, moved.name));
}
