import { lookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr, { type IPv4, type IPv6 } from 'ipaddr.js';
import { Agent } from 'undici';
import { PermanentJobError } from '../../queue/job-types.js';

export const webhookAddressNotAllowed = 'webhook_address_not_allowed';

/** Global unicast IPv6 (IANA): every other IPv6 block is reserved, local or special. */
const globalUnicast6 = ipaddr.parseCIDR('2000::/3');
/** The NAT64 well-known prefix, which embeds an IPv4 address in its last 32 bits. */
const nat64 = ipaddr.parseCIDR('64:ff9b::/96');

const ipv4At = (high: number, low: number) =>
  ipaddr.fromByteArray([high >> 8, high & 0xff, low >> 8, low & 0xff]) as IPv4;

/** The IPv4 addresses an IPv6 address of a translation or tunnel range leads to. */
function embeddedIPv4(address: IPv6): IPv4[] | undefined {
  const parts = address.parts;
  switch (address.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return [ipv4At(parts[6]!, parts[7]!)];
    case 'rfc6052':
      // Only the well-known /96 has a fixed layout; the local-use 64:ff9b:1::/48 is refused.
      return address.match(nat64) ? [ipv4At(parts[6]!, parts[7]!)] : undefined;
    case '6to4':
      return [ipv4At(parts[1]!, parts[2]!)];
    case 'teredo':
      // The Teredo server, and the client address stored inverted.
      return [ipv4At(parts[2]!, parts[3]!), ipv4At(parts[6]! ^ 0xffff, parts[7]! ^ 0xffff)];
    default:
      return undefined;
  }
}

/**
 * Why an IP address is one a webhook may not reach (its ipaddr.js range), or undefined. Only
 * public unicast passes: IPv4 `unicast` (ipaddr.js files every IANA special-purpose block,
 * benchmarking and documentation included, under another range), IPv6 `unicast` within
 * 2000::/3, and IPv6 forms that embed an IPv4 address (mapped, translated, NAT64, 6to4,
 * Teredo) when that IPv4 address passes.
 */
function internalRange(address: IPv4 | IPv6): string | undefined {
  const range = address.range();
  if (address.kind() === 'ipv4') return range === 'unicast' ? undefined : range;
  const v6 = address as IPv6;
  if (range === 'unicast') return v6.match(globalUnicast6) ? undefined : 'reserved';
  const embedded = embeddedIPv4(v6);
  if (!embedded) return range;
  const inner = embedded.map(internalRange).find((problem) => problem !== undefined);
  return inner && `${range} of ${inner}`;
}

/** The range that keeps a webhook from an IP address; undefined for a public one or a name. */
function refusedRange(address: string): string | undefined {
  return isIP(address) === 0 ? undefined : internalRange(ipaddr.parse(address));
}

/** Whether an IP address is one a webhook may not reach (false for anything not an IP). */
export function isInternalAddress(address: string): boolean {
  return refusedRange(address) !== undefined;
}

/**
 * Why a webhook URL is refused on sight (an internal IP literal or a localhost name), or
 * undefined. Only what the URL itself says: names are checked when the job resolves them.
 */
export function internalUrlProblem(url: string): string | undefined {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // `localhost.` is the same name written fully qualified (a trailing dot).
  const name = host.replace(/\.+$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return `${host} is a loopback name`;
  const range = refusedRange(host);
  return range && `${host} is not a public unicast address (${range})`;
}

export class WebhookAddressNotAllowed extends PermanentJobError {
  constructor(host: string, address: string) {
    super(
      `Webhook host ${host} resolves to ${address}, an internal address (set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow)`,
      webhookAddressNotAllowed,
    );
  }
}

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * DNS lookup for the webhook connection itself: every address the name resolves to must be
 * public, and the connection uses those checked addresses (no second lookup to rebind).
 */
export function publicOnlyLookup(
  hostname: string,
  options: { all?: boolean; family?: number },
  callback: LookupCallback,
) {
  lookup(hostname, { family: options.family ?? 0, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const internal = addresses.find((entry) => isInternalAddress(entry.address));
    if (internal) return callback(new WebhookAddressNotAllowed(hostname, internal.address), []);
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    return callback(null, first!.address, first!.family);
  });
}

/** The connection pool for webhooks when internal addresses are refused. */
export const publicOnlyDispatcher = new Agent({ connect: { lookup: publicOnlyLookup as never } });

/** The WebhookAddressNotAllowed somewhere in an error's cause chain. */
export function addressRefusal(error: unknown): WebhookAddressNotAllowed | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof WebhookAddressNotAllowed) return current;
  }
  return undefined;
}
