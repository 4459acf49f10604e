// The Clone action of a guest's page: a dialog (name, linked) that asks
// vireod for a clone (POST /api/vms/NAME/clone), shows the copy's task with
// its progress when it is one, and opens the clone's page once it exists.
// Only a shut-off guest is cloned: the button says so while it runs.

import { request } from './api.js';
import { h, icon } from './dom.js';
import { FormError, checkInput, field, formDialog, showFieldError, textInput } from './forms.js';
import { followTask } from './live.js';
import { navigate, vmHref } from './router.js';
import { toast } from './ui.js';
import { progressBar } from './widgets.js';

const NAME_RE = /^[A-Za-z0-9_+][A-Za-z0-9_.+-]{0,63}$/;

// The head button; `vm` is the page's detail.
export function cloneButton(vm) {
  const off = vm.state === 'shutoff';
  return h('button', {
    type: 'button', class: 'btn btn-sm', testid: 'action-clone', disabled: !off,
    title: off ? `Make a new guest from ${vm.name}` : 'Shut the guest off to clone it: its disks must not change during the copy',
    'aria-label': `Clone ${vm.name}`,
    onclick: () => cloneDialog(vm),
  }, icon('clone'), h('span', { class: 'btn-label' }, 'Clone'));
}

export async function cloneDialog(vm) {
  const nameBox = textInput({ testid: 'clone-name', maxlength: 64, value: `${vm.name}-clone` });
  const linked = checkInput({
    testid: 'clone-linked', label: 'Linked clone',
    hint: 'Instant and small: the clone’s disks are qcow2 overlays on this guest’s disks, which then only change through overlays of their own. qcow2 disks only. Unticked, every disk is copied.',
  });
  const bar = progressBar({ testid: 'clone-progress', label: 'Copying the disks' });
  const status = h('p', { class: 'muted', testid: 'clone-progress-text', 'aria-live': 'polite' });
  const progress = h('div', { class: 'upload-progress', hidden: true }, bar.el, status);
  const made = await formDialog({
    title: `Clone ${vm.name}`,
    intro: 'The clone gets a new UUID and new MAC addresses, its own copy of every disk (CD-ROM media stay shared), this guest’s description and tags, and you as its owner.',
    submitLabel: 'Clone',
    testid: 'clone-dialog',
    content: [field({ label: 'Name of the clone', control: nameBox, hint: 'Letters, digits and _ . + -' }), linked.el, progress],
    submit: async () => {
      const name = nameBox.value.trim();
      if (!NAME_RE.test(name)) {
        showFieldError(nameBox, 'Use 1-64 letters, digits and _ . + -, not starting with . or -');
        throw new FormError('Check the name.', nameBox);
      }
      const res = await request('POST', `/api/vms/${encodeURIComponent(vm.name)}/clone`, { body: { name, linked: linked.input.checked } });
      if (res.status === 202) {
        progress.hidden = false;
        const end = await followTask(res.data.id, (t) => {
          bar.set(t.progress);
          status.textContent = `${t.progress}% · ${t.message || t.state}`;
        }).done;
        if (end.state !== 'succeeded') throw new Error(`The clone was not made (nothing was left behind): ${end.error ? end.error.message : end.state}`);
      }
      return name;
    },
  });
  if (!made) return;
  toast(`“${made}” is a clone of “${vm.name}”`);
  navigate(vmHref(made));
}
