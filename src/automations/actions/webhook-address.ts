import { lookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';
import { PermanentJobError } from '../../queue/job-types.js';

export const webhookAddressNotAllowed = 'webhook_address_not_allowed';

/** Loopback, private, shared (CGNAT), link-local, unique-local, multicast and reserved ranges. */
const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(network, prefix, 'ipv6');

/** Whether an IP address is one a webhook may not reach (false for anything not an IP). */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why a webhook URL is refused on sight (an internal IP literal or a localhost name), or
 * undefined. Only what the URL itself says: names are checked when the job resolves them.
 */
export function internalUrlProblem(url: string): string | undefined {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback name`;
  if (isInternalAddress(host)) {
    return `${host} is a loopback, private, link-local or unique-local address`;
  }
  return undefined;
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
function publicOnlyLookup(
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
