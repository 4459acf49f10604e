// The dashboard's "Hosts" card, shown once Vireo drives two hosts or more
// (docs/hosts.md): each host's health, CPU use and memory in use from the
// sampler's last sample of it (`figures.live` of GET /api/hosts), read again
// every few seconds while the dashboard is shown. The gauges and graphs
// above stay the local host's, which the event stream carries.

import { api } from './api.js';
import { h, clear } from './dom.js';
import { fmtMemory, fmtPercent } from './units.js';
import { card } from './widgets.js';

const REFRESH_MS = 5000;

// {el, destroy}: the card (hidden while there is one host).
export function hostsCard() {
  const body = h('div', { class: 'card-body card-body-flush' });
  const el = card({ title: 'Hosts', ic: 'server', testid: 'dash-hosts', titleId: 'dash-hosts-title', body });
  el.hidden = true;
  let timer = null;
  let gone = false;
  async function load() {
    try {
      const { data } = await api.hosts();
      if (gone) return;
      render(el, body, data.hosts || []);
    } catch {
      // The card is extra: it waits for the next round rather than shout.
    }
    if (!gone) timer = setTimeout(load, REFRESH_MS);
  }
  load();
  return { el, destroy: () => { gone = true; clearTimeout(timer); } };
}

function render(el, body, hosts) {
  el.hidden = hosts.length < 2;
  if (el.hidden) return;
  clear(body).append(h('ul', { class: 'dash-hosts', testid: 'dash-hosts-list' }, hosts.map((x) => {
    const live = (x.figures && x.figures.live) || {};
    const mem = typeof live.memory_used === 'number'
      ? `${fmtMemory(live.memory_used)}${live.memory_total ? ` of ${fmtMemory(live.memory_total)}` : ''}` : '—';
    return h('li', { class: 'dash-host', testid: 'dash-host', dataset: { host: x.name, state: x.state } },
      h('a', { class: 'top-name', href: '#/hosts' }, x.name),
      h('span', { class: 'muted small' }, x.state),
      h('span', { class: 'top-value', testid: 'dash-host-cpu', title: 'CPU use' }, fmtPercent(live.cpu)),
      h('span', { class: 'top-value', testid: 'dash-host-memory', title: 'Memory in use' }, mem));
  })));
}
