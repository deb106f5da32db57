import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Prometheus metrics of the gateway, in a registry of its own. */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Histogram({
    name: 'switchyard_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly jobDelay = new Histogram({
    name: 'switchyard_job_delay_seconds',
    help: 'Time from queued to started (RunPod delayTime)',
    labelNames: ['endpoint'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly jobExecution = new Histogram({
    name: 'switchyard_job_execution_seconds',
    help: 'Time from started to finished (RunPod executionTime)',
    labelNames: ['endpoint', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly jobsFinished = new Counter({
    name: 'switchyard_jobs_finished_total',
    help: 'Jobs that reached a final status',
    labelNames: ['endpoint', 'status'],
    registers: [this.registry],
  });
  readonly eventsRecorded = new Counter({
    name: 'switchyard_events_recorded_total',
    help: 'Job events written to the database',
    registers: [this.registry],
  });
  readonly eventsDeadLettered = new Counter({
    name: 'switchyard_events_dead_lettered_total',
    help: 'Job events the recorder could not write, moved to the dead-letter stream',
    registers: [this.registry],
  });
  readonly recorderLag = new Gauge({
    name: 'switchyard_recorder_lag_seconds',
    help: 'Age of the oldest job event not yet recorded in the database, read at scrape time',
    registers: [this.registry],
  });
  readonly webhookAttempts = new Counter({
    name: 'switchyard_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly retentionDeleted = new Counter({
    name: 'switchyard_retention_deleted_total',
    help: 'Rows (and blobs) deleted by the retention sweep, by table',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'switchyard_queue_jobs',
    help: 'Jobs per queue and state, read at scrape time',
    labelNames: ['queue', 'state'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_gateway_' });
  }
}
