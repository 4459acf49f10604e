// The Users page's quota dialog (admins): a user's four limits, each a
// field left empty for no limit, with what the user uses now under it.
// vireod checks the values too and its 400 shows in the dialog.

import { api } from './api.js';
import { h } from './dom.js';
import { field, formDialog, FormError } from './forms.js';
import { QUOTA_KINDS, quotaAmount } from './quota.js';

const MIB = 2 ** 20;
// Units of the fields; a field's value is sent in vireod's unit (counts,
// MiB of memory, bytes of disk).
const UNITS = {
  vms: null,
  vcpus: null,
  memory: { MiB: 1, GiB: 1024, TiB: 1024 * 1024 },
  disk: { MiB: MIB, GiB: 1024 * MIB, TiB: 1024 * 1024 * MIB },
};

// The largest unit that shows `v` as a whole number (else the middle one).
function unitFor(units, v) {
  const names = Object.keys(units);
  for (const u of [...names].reverse()) if (v > 0 && v % units[u] === 0) return u;
  return v === 0 ? names[1] : names[0];
}

// A number box (with a unit when the kind has units), empty = no limit.
// value() is null for no limit, else the limit in vireod's unit; it throws
// FormError naming the box when the text is not a limit.
function limitInput(kind, current) {
  const units = UNITS[kind.key];
  const input = h('input', {
    class: 'input size-number', type: 'number', min: '0', step: units ? 'any' : '1', inputmode: units ? 'decimal' : 'numeric',
    testid: `quota-${kind.key}`, placeholder: 'No limit', 'aria-label': `${kind.label} limit`,
  });
  const unit = units ? h('select', { class: 'input select size-unit', testid: `quota-${kind.key}-unit`, 'aria-label': `${kind.label} limit: unit` },
    Object.keys(units).map((u) => h('option', { value: u }, u))) : null;
  if (current !== null && current !== undefined) {
    if (units) unit.value = unitFor(units, current);
    input.value = String(units ? current / units[unit.value] : current);
  } else if (units) {
    unit.value = Object.keys(units)[1];
  }
  const value = () => {
    const text = input.value.trim();
    if (!text) return null;
    const n = Number(text);
    const v = units ? Math.round(n * units[unit.value]) : n;
    if (!Number.isFinite(n) || n < 0 || !Number.isInteger(v) || v > Number.MAX_SAFE_INTEGER) {
      throw new FormError(`${kind.label}: give a whole number from 0, or leave it empty for no limit.`, input);
    }
    return v;
  };
  return { input, el: units ? h('div', { class: 'size-row' }, input, unit) : input, value };
}

// Resolves to the user as changed, or null when cancelled.
export function quotaDialog(u) {
  const boxes = QUOTA_KINDS.map((k) => ({ kind: k, ...limitInput(k, u.quota ? u.quota[k.key] : null) }));
  const usage = u.usage || null;
  const inUse = (k) => (usage ? `In use now: ${quotaAmount(k.key, usage[k.key])}.` : 'Usage unknown right now.');
  return formDialog({
    title: `Quota of ${u.username}`,
    intro: u.role === 'admin'
      ? `${u.username} is an admin, and admins are not limited: these limits apply only if ${u.username} becomes operator or viewer.`
      : `What the guests and volumes ${u.username} owns may take, all together. Leave a field empty for no limit; a limit below what is in use refuses only more.`,
    testid: 'quota-dialog',
    submitLabel: 'Save quota',
    content: h('div', { class: 'quota-fields' },
      boxes.map((b) => field({ label: b.kind.key === 'memory' ? 'Memory' : b.kind.key === 'disk' ? 'Disk (volume sizes)' : b.kind.label, control: b.input, box: b.el, hint: inUse(b.kind) }))),
    submit: async () => {
      const quota = {};
      for (const b of boxes) quota[b.kind.key] = b.value();
      return (await api.patchUser(u.username, { quota })).data;
    },
  });
}
