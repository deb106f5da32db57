import { AddressPolicy } from '@switchyard/outbound';
import { RunPodEndpointClient, RunPodRestClient, type ServerlessEndpoint } from '@switchyard/runpod';
import type { CreatedEndpoint, DeployedEndpointProbe, RunPodManagement } from '@switchyard/deployments';

function created(endpoint: ServerlessEndpoint): CreatedEndpoint {
  return { id: endpoint.id, name: endpoint.name, templateId: endpoint.templateId, pools: endpoint.gpu?.pools };
}

/** The deployer's RunPod operations over the REST v2 client, with the caller's key. */
export function runPodManagement(client: RunPodRestClient): RunPodManagement {
  return {
    listGpuTypes: (options) => client.listGpuTypes(options),
    createEndpoint: async (request) => created(await client.createEndpoint(request)),
    findEndpointByName: async (name) => {
      const endpoint = (await client.listEndpoints()).find((candidate) => candidate.name === name);
      return endpoint && created(endpoint);
    },
    getEndpoint: async (id) => {
      const endpoint = await client.getEndpoint(id);
      return endpoint && created(endpoint);
    },
    scaleToZero: async (id) => {
      await client.updateEndpoint(id, { workers: { min: 0, max: 0 } }).catch((error: unknown) => {
        // An endpoint already gone has nothing left to scale.
        if ((error as { status?: number }).status !== 404) throw error;
      });
    },
    deleteEndpoint: (id) => client.deleteEndpoint(id),
    deleteTemplate: (id) => client.deleteTemplate(id),
  };
}

export interface JobApiSettings {
  baseUrl: string;
  apiKey: string;
  allowPrivate: boolean;
}

/** `{health_check: true}`, which a Switchyard worker in RunPod mode answers itself once its models are loaded. */
export const HEALTH_CHECK_INPUT = { health_check: true } as const;

/** Readiness of a deployed endpoint through RunPod's job API: its workers on `/health`, then a `runsync` of the health check. */
export function deployedEndpointProbe(settings: JobApiSettings, endpointId: string): DeployedEndpointProbe {
  const client = new RunPodEndpointClient({
    baseUrl: settings.baseUrl,
    endpointId,
    apiKey: settings.apiKey,
    addressPolicy: new AddressPolicy({ allowPrivate: settings.allowPrivate }),
  });
  return {
    readyWorkers: async () => {
      const { workers } = await client.health();
      return (workers?.idle ?? 0) + (workers?.running ?? 0);
    },
    healthCheck: async (waitMs) => {
      const answer = await client.runsync(HEALTH_CHECK_INPUT, { waitMs, timeoutMs: waitMs + 5_000 });
      if (answer.status !== 'COMPLETED') throw new Error(`the health check is ${answer.status}${answer.error ? `: ${JSON.stringify(answer.error)}` : ''}`);
      return answer.output;
    },
  };
}
