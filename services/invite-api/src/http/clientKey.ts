import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key a client is rate-limited by, from `ctx.ip`: with TRUSTED_PROXY_HOPS > 0 that is the
 * X-Forwarded-For entry the last trusted proxy (the ALB) appended, believed by hop count alone.
 * That is only sound while nothing but that proxy can reach a pod: a client connecting directly
 * would write its own X-Forwarded-For and pick its own bucket. The invite-api NetworkPolicy
 * (k8s/invite-api/networkpolicy.yaml, docs/deploy.md "Network access to invite-api") admits only
 * the ALB's subnets on the HTTP port, which is what makes the hop count trustworthy.
 * IPv4 addresses as they are; IPv6 addresses by their /64
 * prefix, because one subscriber usually holds a whole /64 and could otherwise rotate through 2^64
 * addresses. IPv4-mapped IPv6 (::ffff:1.2.3.4) is the IPv4 address. Anything else (a malformed
 * X-Forwarded-For behind a misconfigured proxy) shares one bucket rather than getting a fresh one.
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(ip)) return ip;
  const address = ip.split('%')[0] ?? ''; // drop a zone id (fe80::1%eth0)
  if (isIPv6(address)) return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
  return 'invalid-address';
}

function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::1.2.3.4) occupies two groups; for the /64 prefix only the first four matter.
  const missing = Math.max(0, 8 - left.length - right.length);
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) =>
    /^[0-9a-f]{1,4}$/i.test(group) ? group.toLowerCase().replace(/^0+(?=.)/, '') : group,
  );
}
