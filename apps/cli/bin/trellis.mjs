#!/usr/bin/env node
// The `trellis` command. Builds the bundle when sources changed, then runs it.
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from './build.mjs';

const entry = await ensureBuilt();
await import(pathToFileURL(entry).href);
