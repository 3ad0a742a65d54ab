#!/usr/bin/env node
// The container's HEALTHCHECK (deploy/Dockerfile): configuration loads, Redis answers.
import { register } from 'tsx/esm/api';

register();
const { healthCheck } = await import('../src/health.ts');
const code = await healthCheck();
process.exit(code);
