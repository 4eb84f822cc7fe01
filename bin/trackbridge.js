#!/usr/bin/env node
// The `trackbridge` command. An installed package (and a checkout after `npm run build`) runs the
// compiled CLI on plain node; a checkout without a build runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli.js', import.meta.url);
if (existsSync(compiled) && !process.env.TRACKBRIDGE_FROM_SOURCE) {
  // Stack traces name the TypeScript sources; only asked for, as reading the maps slows the start.
  if (process.env.TRACKBRIDGE_DEBUG) process.setSourceMapsEnabled(true);
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../cli/main.ts', import.meta.url).href);
}
