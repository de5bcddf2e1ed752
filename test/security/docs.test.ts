// docs/security.md must list every registered device type with the registry's security status
// and reason: the table between its markers is what scripts/security-table.ts generates.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deviceTypes } from '../../src/devices/registry.js';
import { DOC_PATH, securityTable, tableInDoc, withTable } from '../../scripts/security-table.js';

describe('docs/security.md', () => {
  const doc = readFileSync(DOC_PATH, 'utf8');
  it('has the generated table, identical to the registry (regenerate: npx tsx scripts/security-table.ts --write)', () => {
    expect(tableInDoc(doc)).toBe(securityTable());
  });
  it('the table has one row per registered type with its tri-state status', () => {
    const rows = securityTable().split('\n').slice(2);
    expect(rows.length).toBe(deviceTypes.length);
    for (const [i, t] of deviceTypes.entries()) {
      expect(rows[i]).toContain(`| \`${t.name}\` | ${t.class} |`);
      const status = t.secure === true ? '| secure |' : t.secure === false ? '| **not secure** |' : '*unknown*';
      expect(rows[i]).toContain(status);
    }
  });
  it('detects a disagreement', () => {
    const stale = withTable(doc).replace('| `ne2k_pci` | network | pci | yes | **not secure** |', '| `ne2k_pci` | network | pci | yes | secure |');
    expect(stale).not.toBe(doc);
    expect(tableInDoc(stale)).not.toBe(securityTable());
  });
  it('documents the policy decisions and every taint kind', () => {
    for (const kind of ['insecure-device', 'monolithic', 'custom-firmware', 'debug-port', 'device-detached', 'runtime']) expect(doc).toContain(`\`${kind}\``);
    for (const p of ['`none`', '`warn`', '`strict`', 'accept', 'reject']) expect(doc).toContain(p);
  });
});
