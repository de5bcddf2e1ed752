#!/usr/bin/env bash
# `npm test`: everything, from a fresh clone. System packages, images, the core, type checks,
# unit and machine tests (Vitest), then the browser tests (Playwright driving Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
npm run images
npm run build:core
npm run typecheck
npx vitest run
npm run test:e2e
