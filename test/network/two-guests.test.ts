/**
 * Two Linux machines on one virtual switch (issue 9): guest A with an e1000 in the isolated
 * placement (the NIC in the network worker, its frames bridged over a MessagePort), guest B with
 * an ne2k_pci in the monolithic placement, both on netdev 'lan' = one shared VirtualSwitch with
 * the gateway services. Both get DHCP leases with busybox udhcpc, ping each other, and B fetches
 * a 1 MiB random file from A's busybox httpd with wget; the md5sums on both sides must match.
 *
 * A full boot of two guests at once (~11 min host, measured 656 s): opt-in,
 *   BULKHEAD_SLOW_TESTS=1 npx vitest run test/network/two-guests.test.ts
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bootPair, createPair, missingForPair, ping, type GuestPair } from './guest-pair.js';

const BOOT_MS = 900_000;
// About 11 minutes of host time on a shared box: opt-in, as linux-guest.test.ts.
const why = process.env.BULKHEAD_SLOW_TESTS !== '1' ? 'set BULKHEAD_SLOW_TESTS=1' : missingForPair();
const pairs: GuestPair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.stop();
});

describe.skipIf(why !== undefined)(`two Linux guests on one switch${why ? ` (skipped: ${why})` : ''}`, () => {
  it('e1000 (isolated) and ne2k_pci (monolithic): DHCP, ping each other, copy 1 MiB with matching md5sum', async () => {
    const t0 = performance.now();
    const pair = await createPair([
      { name: 'A', nic: 'e1000', module: 'e1000', mac: '52:54:00:12:34:56', placement: 'isolated' },
      { name: 'B', nic: 'ne2k_pci', module: 'ne2k-pci', mac: '52:54:00:12:34:57', placement: 'monolithic' },
    ]);
    pairs.push(pair);
    const [a, b] = pair.guests;
    expect(a.machine.device('e1000.0')!.local).toBe(false);
    expect(b.machine.device('ne2k_pci.0')!.local).toBe(true);
    await bootPair(pair, BOOT_MS);
    const booted = (performance.now() - t0) / 1000;
    expect(a.probe).toMatch(/eth0: \(PCI:33MHz:32-bit\) 52:54:00:12:34:56/);
    expect(b.probe).toMatch(/eth0: RealTek RTL-8029\(AS\) found at 0x[0-9a-f]+, IRQ \d+, 52:54:00:12:34:57/);
    // Two leases from the one DHCP server, different addresses in 10.0.2.0/24.
    expect(a.ip).toMatch(/^10\.0\.2\.\d+$/);
    expect(b.ip).toMatch(/^10\.0\.2\.\d+$/);
    expect(a.ip).not.toBe(b.ip);
    expect(pair.services.stats.dhcpReplies).toBeGreaterThanOrEqual(4); // offer + ack each

    const ab = await ping(a, b.ip, 3);
    const ba = await ping(b, a.ip, 3);
    expect([ab.sent, ab.received], ab.output).toEqual([3, 3]);
    expect([ba.sent, ba.received], ba.output).toEqual([3, 3]);
    // The switch learned each guest on its own port (guest-to-guest unicast, not via services).
    expect(pair.sw.lookup('52:54:00:12:34:56')?.name).toBe('e1000.0');
    expect(pair.sw.lookup('52:54:00:12:34:57')?.name).toBe('ne2k_pci.0');

    // A serves a 1 MiB random file; B fetches it.
    const made = await a.shell('mkdir -p /tmp/www && dd if=/dev/urandom of=/tmp/www/blob bs=1024 count=1024 2>/dev/null; md5sum /tmp/www/blob; httpd -p 8080 -h /tmp/www; echo "httpd=$?"');
    expect(made).toMatch(/httpd=0/);
    const sumA = /^([0-9a-f]{32})\s+\/tmp\/www\/blob$/m.exec(made)?.[1];
    expect(sumA).toBeDefined();
    const t1 = performance.now();
    const got = await b.shell(`wget -q -O /tmp/blob http://${a.ip}:8080/blob; echo "wget=$?"; ls -l /tmp/blob; md5sum /tmp/blob`, 900_000);
    const copyS = (performance.now() - t1) / 1000;
    expect(got).toMatch(/wget=0/);
    expect(got).toMatch(/\s1048576\s/);
    const sumB = /^([0-9a-f]{32})\s+\/tmp\/blob$/m.exec(got)?.[1];
    expect(sumB).toBe(sumA);
    // Neither NIC reported a guest error.
    for (const g of pair.guests) {
      const nic = g.machine.report().devices.find((d) => d.type === g.spec.nic)!;
      expect(nic.guestErrors).toBe(0);
    }
    console.info(`two guests: both on the network after ${booted.toFixed(1)} s host; ping A→B avg ${ab.avgMs} ms, B→A avg ${ba.avgMs} ms (guest time); 1 MiB over HTTP in ${copyS.toFixed(1)} s host`);
  }, 2 * BOOT_MS);
});
