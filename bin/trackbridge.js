#!/usr/bin/env node
// The `trackbridge` command: runs the TypeScript CLI through tsx's ESM loader, from a checkout or an installed package.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../cli/main.ts', import.meta.url).href);
