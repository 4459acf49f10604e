// Quotas (docs/quotas.md): a user's limits and usage in words and bars, for
// the Users page, My account and the New VM wizard. vireod answers limits
// as {vms, vcpus, memory (MiB), disk (bytes)} with null for no limit, and
// usage with the same members (usage null while libvirt cannot be asked).
// vireod checks every request itself and has the last word; a refusal is a
// 403 `quota_exceeded` whose message begins "quota 'vcpus': ".

import { api } from './api.js';
import { h, fmtBytes, fmtMiB } from './dom.js';

const count = (n) => String(n);

// The four limits, in the order vireod checks them.
export const QUOTA_KINDS = [
  { key: 'vms', label: 'VMs', noun: 'VMs', fmt: count },
  { key: 'vcpus', label: 'vCPUs', noun: 'vCPUs', fmt: count },
  { key: 'memory', label: 'Memory', noun: 'of memory', fmt: fmtMiB },
  { key: 'disk', label: 'Disk', noun: 'of disk', fmt: fmtBytes },
];

const kindOf = (key) => QUOTA_KINDS.find((k) => k.key === key);

// GET /api/session/quota: {quota, usage, limited}.
export const loadMyQuota = () => api.myQuota().then(({ data }) => data);

// What is left of each limit: {vms: 1, vcpus: null (no limit), ...}; every
// member null when the limits do not apply (admins) or usage is unknown.
export function quotaLeft(q) {
  const left = {};
  for (const { key } of QUOTA_KINDS) {
    const limit = q && q.limited && q.usage ? q.quota[key] : null;
    left[key] = limit === null || limit === undefined ? null : Math.max(0, limit - q.usage[key]);
  }
  return left;
}

// The limit a refusal names ("quota 'vcpus': ..."), or null.
export function quotaKindOf(message) {
  const m = /^quota '([a-z]+)'/.exec(message || '');
  return m && kindOf(m[1]) ? m[1] : null;
}

// "2 of 4 vCPUs", "512 MiB of 1 GiB of memory": an amount in a kind's words.
export function quotaAmount(key, value) {
  return value === null || value === undefined ? 'no limit' : kindOf(key).fmt(value);
}

// One limit: what is used, of how much, and a bar (none without a limit).
function meter(kind, used, limit, testid) {
  const known = used !== null && used !== undefined;
  const text = known ? kind.fmt(used) : '?';
  const row = h('div', { class: 'quota-row', testid, dataset: { kind: kind.key, used: known ? String(used) : '', limit: limit === null ? '' : String(limit) } },
    h('span', { class: 'quota-label' }, kind.label),
    h('span', { class: 'quota-text', testid: `${testid}-text` },
      text, limit === null ? h('span', { class: 'muted' }, ' · no limit') : h('span', { class: 'muted' }, ` of ${kind.fmt(limit)}`)));
  if (limit === null || !known) return row;
  const pct = limit > 0 ? Math.min(100, (used / limit) * 100) : 100;
  const fill = h('span', { class: 'usage-fill' });
  fill.style.width = `${pct.toFixed(1)}%`;
  row.classList.toggle('usage-hot', used >= limit);
  row.append(h('span', {
    class: 'usage-bar quota-bar', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': String(limit), 'aria-valuenow': String(Math.min(used, limit)),
    'aria-label': `${kind.label}: ${text} of ${kind.fmt(limit)}`,
  }, fill));
  return row;
}

// A user's four limits against their usage. `note` says whether the
// limits apply (admins are not limited).
export function quotaSummary({ quota, usage, limited = true }, { testid = 'quota', compact = false } = {}) {
  const rows = QUOTA_KINDS.map((k) => meter(k, usage ? usage[k.key] : null, quota[k.key], `${testid}-${k.key}`));
  const note = !limited ? 'Admins are not limited by quotas.'
    : !usage ? 'Usage is unknown while the hypervisor is not answering.'
      : QUOTA_KINDS.every((k) => quota[k.key] === null) ? 'No limits.' : null;
  return h('div', { class: `quota${compact ? ' quota-compact' : ''}`, testid },
    rows, note ? h('p', { class: 'quota-note muted', testid: `${testid}-note` }, note) : null);
}
