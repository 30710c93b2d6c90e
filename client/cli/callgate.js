#!/usr/bin/env node
// `npx callgate`: runs the CLI's TypeScript through tsx, which `npm install` puts in node_modules, so
// a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('./main.ts');
