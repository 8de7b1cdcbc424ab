import test from 'ava';
import { clientKey } from '../../src/http/clientKey.ts';

test('IPv4 addresses are their own key; IPv4-mapped IPv6 is the IPv4 address', (t) => {
  t.is(clientKey('203.0.113.7'), '203.0.113.7');
  t.is(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
});

test('IPv6 addresses share their /64', (t) => {
  t.is(clientKey('2001:db8:85a3:1:aaaa:bbbb:cccc:dddd'), '2001:db8:85a3:1::/64');
  t.is(clientKey('2001:db8:85a3:1::1'), '2001:db8:85a3:1::/64');
  t.is(clientKey('2001:0db8:85a3:0001:0:0:0:2'), '2001:db8:85a3:1::/64');
  t.is(clientKey('::1'), '0:0:0:0::/64');
  t.is(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('anything else shares one bucket', (t) => {
  t.is(clientKey('not an address'), 'invalid-address');
  t.is(clientKey(''), 'invalid-address');
});
