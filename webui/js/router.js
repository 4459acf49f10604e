// A tiny hash router: "#/" is the guest list, "#/vms/NAME" a guest's page.
// Hash routes keep every address servable by the static file server as "/".

export function parseHash(hash) {
  const path = (hash || '').replace(/^#/, '') || '/';
  if (path === '/' || path === '/vms' || path === '/vms/') return { view: 'list' };
  const m = /^\/vms\/([^/]+)\/?$/.exec(path);
  if (m) {
    try {
      return { view: 'detail', name: decodeURIComponent(m[1]) };
    } catch {
      return { view: 'missing', path };
    }
  }
  return { view: 'missing', path };
}

export const vmHref = (name) => `#/vms/${encodeURIComponent(name)}`;

export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

// Calls onRoute(route) now and on every hash change.
export function startRouter(onRoute) {
  const run = () => onRoute(parseHash(location.hash));
  window.addEventListener('hashchange', run);
  run();
}
