// Who is signed in, and what their role lets the UI offer. vireod has the
// last word (403, or 404 for a guest one may not see); this only keeps
// buttons that cannot work from being shown.

let user = null;
const listeners = new Set();

export const ROLES = {
  admin: {
    label: 'Admin',
    summary: 'Everything: all guests, storage, networks, users, API tokens and the audit log.',
  },
  operator: {
    label: 'Operator',
    summary: 'Creates guests; starts, stops, edits and deletes their own and those granted to them, with the pools and networks granted to them.',
  },
  viewer: {
    label: 'Viewer',
    summary: 'Sees the guests, pools and networks granted to them; cannot change anything.',
  },
};

export const roleLabel = (role) => (ROLES[role] ? ROLES[role].label : role || 'unknown');

export function getUser() {
  return user;
}

export function setUser(u) {
  user = u ? { ...u } : null;
  for (const fn of listeners) fn(user);
}

// fn(user or null) on every sign-in and sign-out.
export function onUser(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export const isAdmin = () => !!user && user.role === 'admin';

// Lifecycle, edit and delete on the guests one can see.
export const canOperate = () => !!user && (user.role === 'admin' || user.role === 'operator');
