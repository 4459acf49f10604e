// A host's first run: with no storage pool the caller can see, the New VM
// wizard and the Storage page offer the conventional "default" directory
// pool at /var/lib/libvirt/images, made, started and set to start with
// libvirtd in one click, as virt-manager does (admins). Others are told to
// ask an admin, who may also grant them an existing pool.

import { api } from './api.js';
import { h, icon } from './dom.js';
import { spinner } from './widgets.js';

export const DEFAULT_POOL = { name: 'default', type: 'dir', path: '/var/lib/libvirt/images', autostart: true };

// The offer as a note with its button; onCreated(pool) runs once vireod
// made it. A failure (the name or directory taken meanwhile, a read-only
// disk) is shown in the note, the button stays for another try.
export function defaultPoolOffer({ admin, onCreated, testid = 'default-pool-offer' }) {
  if (!admin) {
    return h('div', { class: 'form-note first-run', testid },
      icon('info'), h('span', { testid: `${testid}-text` },
        'No storage pool is shared with you, so there is nowhere to keep a disk or an installer image. Ask an admin to create one (or to grant you one).'));
  }
  const error = h('span', { class: 'field-error', role: 'alert', testid: `${testid}-error`, hidden: true });
  const button = h('button', { type: 'button', class: 'btn btn-primary btn-sm', testid: `${testid}-create` },
    icon('plus'), `Create the “${DEFAULT_POOL.name}” pool`);
  button.addEventListener('click', async () => {
    button.disabled = true;
    error.hidden = true;
    const spin = spinner();
    button.prepend(spin);
    try {
      const { data } = await api.createPool(DEFAULT_POOL);
      if (onCreated) onCreated(data);
    } catch (e) {
      error.textContent = `Could not create it: ${e.message}`;
      error.hidden = false;
    } finally {
      button.disabled = false;
      spin.remove();
    }
  });
  return h('div', { class: 'form-note first-run', testid },
    icon('info'),
    h('div', { class: 'first-run-text' },
      h('span', { testid: `${testid}-text` }, 'This host has no storage pool yet. Most hosts keep their disks and installer images in the ',
        h('strong', {}, DEFAULT_POOL.name), ' pool, the directory ', h('code', { class: 'mono' }, DEFAULT_POOL.path),
        ': create it in one click (it is started now and whenever libvirtd starts).'),
      h('span', { class: 'first-run-actions' }, button, error)));
}
