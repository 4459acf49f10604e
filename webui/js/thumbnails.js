// Live thumbnails of guests' screens (GET /api/vms/NAME/screenshot), as
// Kimchi shows them: an <img> that refreshes itself every few seconds while
// it is on screen and the tab is visible, and stops once it leaves the
// page. Pictures come through fetch() with If-None-Match, so an unchanged
// screen costs a 304; at most two are fetched at a time, so a long list
// does not queue a burst of renders in QEMU.

import { h } from './dom.js';

const REFRESH_MS = 5000;
const PARALLEL = 2;
const queue = [];
let running = 0;

function pump() {
  while (running < PARALLEL && queue.length) {
    const job = queue.shift();
    running += 1;
    job().finally(() => { running -= 1; pump(); });
  }
}

const later = (job) => { queue.push(job); pump(); };

// An <img> of `name`'s screen, `width` pixels wide. onGone() runs when the
// guest has no picture to show (not running, no display: 409); the
// thumbnail then stops asking.
export function thumbnail(name, { width = 320, cls = 'thumb', alt = '', onGone = null, onShown = null } = {}) {
  const img = h('img', { class: cls, alt, width, decoding: 'async', hidden: true });
  let etag = null;
  let url = null;
  let visible = true;
  let gone = false;
  let timer = null;
  const observer = 'IntersectionObserver' in window
    ? new IntersectionObserver(([e]) => { visible = e.isIntersecting; if (visible) schedule(0); }) : null;

  const stop = () => {
    clearTimeout(timer);
    observer?.disconnect();
    if (url) URL.revokeObjectURL(url);
    url = null;
  };
  const schedule = (ms) => { clearTimeout(timer); timer = setTimeout(tick, ms); };

  async function fetchOnce() {
    if (!img.isConnected) { stop(); return; }
    const headers = etag ? { 'If-None-Match': etag } : {};
    let res;
    try {
      res = await fetch(`/api/vms/${encodeURIComponent(name)}/screenshot?width=${width}`, { headers, credentials: 'same-origin', cache: 'no-store' });
    } catch { return; }
    if (res.status === 304) return;
    if (!res.ok) {
      img.hidden = true;
      // Nothing to show until the guest changes; whoever shows it makes a
      // new thumbnail then.
      if (res.status === 409 || res.status === 404) { gone = true; onGone?.(); }
      return;
    }
    etag = res.headers.get('ETag');
    const next = URL.createObjectURL(await res.blob());
    if (url) URL.revokeObjectURL(url);
    url = next;
    img.src = url;
    img.hidden = false;
    onShown?.();
  }

  function tick() {
    if (!img.isConnected && img.dataset.started) { stop(); return; }
    img.dataset.started = '1';
    if (document.hidden || !visible) { schedule(REFRESH_MS); return; }
    later(() => fetchOnce().finally(() => { if (img.isConnected && !gone) schedule(REFRESH_MS); else stop(); }));
  }

  // Started once the caller has put it in the page.
  queueMicrotask(() => { observer?.observe(img); schedule(0); });
  return img;
}
