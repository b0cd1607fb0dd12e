import { SecretStoreConfigError } from '../errors';

/** One server of a connection string. */
export interface HostAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * What a connection must be for the store to keep it, as libpq's `target_session_attrs` says: `any` server
 * that answers, one that takes writes (`read-write`: transaction_read_only is off), or one not in recovery
 * (`primary`). The read-only kinds are for replicas, which the store is given apart (`replicas`).
 */
export type TargetSessionAttrs = 'any' | 'read-write' | 'primary';

const TARGET_SESSION_ATTRS: readonly TargetSessionAttrs[] = ['any', 'read-write', 'primary'];

/** A connection string split as libpq reads it: its servers, and a single-server string for each. */
export interface HostList {
  readonly hosts: readonly HostAddress[];
  readonly targetSessionAttrs: TargetSessionAttrs;
  /** The connection string with only `address` as its server and without target_session_attrs, for node-postgres. */
  urlFor(address: HostAddress): string;
}

const DEFAULT_PORT = 5432;

function portOf(text: string, setting: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new SecretStoreConfigError(setting, 'has a port that is not a number between 1 and 65535');
  }
  return port;
}

function decoded(text: string, setting: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new SecretStoreConfigError(setting, 'has a malformed percent-encoding');
  }
}

/** `host[:port]` or `[ipv6][:port]`, one element of the hostspec. */
function parseHost(spec: string, setting: string): HostAddress {
  let host: string;
  let rest: string;
  if (spec.startsWith('[')) {
    const end = spec.indexOf(']');
    if (end < 0) throw new SecretStoreConfigError(setting, "has an IPv6 address without its closing ']'");
    host = spec.slice(1, end);
    rest = spec.slice(end + 1);
  } else {
    const colon = spec.indexOf(':');
    host = colon < 0 ? spec : spec.slice(0, colon);
    rest = colon < 0 ? '' : spec.slice(colon);
  }
  if (host === '') throw new SecretStoreConfigError(setting, 'lists a server without a host name');
  if (rest !== '' && !rest.startsWith(':')) throw new SecretStoreConfigError(setting, 'has a malformed host list');
  return { host: decoded(host, setting), port: rest === '' ? DEFAULT_PORT : portOf(rest.slice(1), setting) };
}

function formatHost({ host, port }: HostAddress): string {
  return `${host.includes(':') ? `[${host}]` : encodeURIComponent(host)}:${port}`;
}

/** The URL's parts around its hostspec: libpq's `scheme://[userspec@]hostspec[/dbname][?paramspec]`. */
function splitUrl(url: string) {
  // Called only for a string that starts with one of the two.
  const scheme = url.startsWith('postgresql://') ? 'postgresql://' : 'postgres://';
  const afterScheme = url.slice(scheme.length);
  const authorityEnd = afterScheme.search(/[/?#]/);
  const authority = authorityEnd < 0 ? afterScheme : afterScheme.slice(0, authorityEnd);
  const tail = authorityEnd < 0 ? '' : afterScheme.slice(authorityEnd);
  // A password must percent-encode '@': the last one ends the userspec.
  const at = authority.lastIndexOf('@');
  return {
    head: scheme + (at < 0 ? '' : authority.slice(0, at + 1)),
    hostspec: at < 0 ? authority : authority.slice(at + 1),
    tail,
  };
}

/** The value of target_session_attrs in `tail` (the path and query), and `tail` without it. */
function takeTargetSessionAttrs(tail: string, setting: string): { attrs: TargetSessionAttrs; tail: string } {
  const query = tail.indexOf('?');
  if (query < 0) return { attrs: 'any', tail };
  let attrs: TargetSessionAttrs = 'any';
  const kept: string[] = [];
  for (const pair of tail.slice(query + 1).split('&')) {
    const [name, value = ''] = pair.split('=', 2);
    if (name !== 'target_session_attrs') {
      if (pair !== '') kept.push(pair);
      continue;
    }
    const given = decoded(value, setting) as TargetSessionAttrs;
    if (!TARGET_SESSION_ATTRS.includes(given)) {
      throw new SecretStoreConfigError(
        setting,
        `has target_session_attrs=${given.replace(/[^\w-]/g, '?')}: the store takes ${TARGET_SESSION_ATTRS.join(', ')} ` +
          '(replicas are given as `replicas`)',
      );
    }
    attrs = given;
  }
  return { attrs, tail: tail.slice(0, query) + (kept.length > 0 ? `?${kept.join('&')}` : '') };
}

/**
 * Reads a connection string's servers as libpq does: `postgres://user@hostA:5432,hostB:5433/db` lists two,
 * and `target_session_attrs` says which one to keep. node-postgres (and `new URL`) take one server only, so
 * the store connects to each through `urlFor`. Undefined for a string that is not a URL (key=value form) or has
 * no host (a Unix socket). SecretStoreConfigError names `setting`, never the string (it may hold a password).
 */
export function parseHostList(url: string, setting: string): HostList | undefined {
  if (!/^postgres(ql)?:\/\//.test(url)) return undefined;
  const { head, hostspec, tail: fullTail } = splitUrl(url);
  if (hostspec === '') return undefined;
  // An unencoded '/' in the password moves the rest of the credentials into the path.
  if (/^\/[^?#]*@/.test(fullTail)) {
    throw new SecretStoreConfigError(setting, "is malformed: percent-encode '/', '@', '#' and '?' in the password");
  }
  const { attrs, tail } = takeTargetSessionAttrs(fullTail, setting);
  const hosts = hostspec.split(',').map((spec) => parseHost(spec, setting));
  return {
    hosts,
    targetSessionAttrs: attrs,
    urlFor: (address) => `${head}${formatHost(address)}${tail}`,
  };
}

/** Whether the string needs the store's own handling: more than one server, or a session kind to check. */
export function needsHostSelection(list: HostList | undefined): list is HostList {
  return list !== undefined && (list.hosts.length > 1 || list.targetSessionAttrs !== 'any');
}

/** `hostA:5432,hostB:5433`, for messages and descriptions: no credentials. */
export function describeHosts(hosts: readonly HostAddress[]): string {
  return hosts.map(formatHost).join(',');
}
