#!/usr/bin/env node
// `npx bulkhead`: the command-line runner. Registers tsx so Node can load the TypeScript
// sources directly, then runs src/cli/main.ts (see docs/cli.md).
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

register({ tsconfig: join(dirname(fileURLToPath(import.meta.url)), '..', 'tsconfig.node.json') });
const { main } = await import('../src/cli/main.ts');
// Output is written synchronously, so exiting at once loses nothing (and no stray timer delays it).
process.exit(await main(process.argv.slice(2)));
