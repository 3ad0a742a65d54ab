/** Every local service, in start order. One file per service. */
import type { ServiceSpec } from './types.ts';
import { redis } from './redis.ts';
import { sshd } from './sshd.ts';
import { mongo } from './mongo.ts';
import { minio } from './minio.ts';
import { elasticsearch } from './elasticsearch.ts';
import { influxdb } from './influxdb.ts';
import { postgres } from './postgres.ts';
import { mongoTools } from './mongo-tools.ts';
import { docker } from './docker.ts';
import { kubernetes } from './kubernetes.ts';

export const SERVICES: ServiceSpec[] = [redis, sshd, mongo, minio, elasticsearch, influxdb, postgres, docker, kubernetes, mongoTools];
