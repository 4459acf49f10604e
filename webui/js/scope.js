// What the signed-in person may use besides the guests they own: storage
// pools (for new disks, for media), virtual networks and host bridges, as
// GET /api/session lists them (admins: everything). The New VM wizard and
// the device dialogs offer only these, and the words for what a pool's uses
// mean live here for the Users page too. vireod checks again and has the
// last word (docs/access.md).

import { api } from './api.js';

// The two uses an admin grants a pool for, in the order they are shown.
export const POOL_USES = {
  disks: {
    label: 'New disks',
    text: 'New volumes made in this pool for guests: new disks, copies and overlays.',
  },
  media: {
    label: 'Media',
    text: 'Every volume of this pool, read-only: ISO images in CD-ROM drives, sources of copies, backing files.',
  },
};

// "new disks and media", for chips and sentences.
export function usesText(uses) {
  return Object.keys(POOL_USES).filter((u) => uses.includes(u)).map((u) => POOL_USES[u].label.toLowerCase()).join(' and ');
}

export const NO_DISK_POOL = 'No storage pool is granted to you for new disks: ask an admin to grant you a storage pool.';
export const NO_MEDIA_POOL = 'No storage pool is granted to you for media (ISO images): ask an admin to grant you one.';

// {admin, poolUses(name), mayUsePool(name, use), bridges} from the `grants`
// of GET /api/session (null for admins). `bridges` is null for admins: any
// host bridge, which the API does not list.
export function scopeOf(grants) {
  if (!grants) {
    return { admin: true, poolUses: () => Object.keys(POOL_USES), mayUsePool: () => true, bridges: null };
  }
  const pools = new Map((grants.pools || []).map((p) => [p.name, p.use || []]));
  return {
    admin: false,
    poolUses: (name) => pools.get(name) || [],
    mayUsePool: (name, use) => (pools.get(name) || []).includes(use),
    bridges: (grants.bridges || []).map((b) => b.name),
  };
}

// Reads the grants afresh (an admin may have changed them since sign-in).
export async function loadScope() {
  const { data } = await api.session();
  return scopeOf(data.grants);
}
