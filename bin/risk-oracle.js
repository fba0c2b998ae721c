#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx's require hook), so a clone works with `npx risk-oracle` and no build step.
require('tsx/cjs');
require('../cli/main.ts').runCli();
