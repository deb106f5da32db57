import { QUEUES } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import type { DefaultRouting } from '../routing/routing-settings';
import type { TextModelCatalog } from './text-model-catalog';

/**
 * The text detector's routing where ROUTING_CONFIG does not configure it: each registry model runs
 * on the local queue, and falls back to the browser when this gateway holds its files and client
 * inference is on (TEXT_DETECTOR_CLIENT, up to TEXT_DETECTOR_CLIENT_MAX_BYTES).
 */
export function textDetectorDefaultRouting(
  catalog: TextModelCatalog,
  config: Pick<GatewayConfig, 'TEXT_DETECTOR_CLIENT' | 'TEXT_DETECTOR_CLIENT_MAX_BYTES' | 'TEXT_DETECTOR_MAX_LOCAL_WAIT_MS'>,
): DefaultRouting {
  const endpoint = QUEUES.textDetector;
  return {
    endpoints: {
      [endpoint]: { local: { queue: endpoint }, client: { enabled: config.TEXT_DETECTOR_CLIENT, maxModelBytes: config.TEXT_DETECTOR_CLIENT_MAX_BYTES } },
    },
    models: catalog.ids.map((id) => {
      const spec = catalog.spec(id);
      return spec
        ? { id, endpoint, size: 'small', preferred: 'local', fallbacks: ['client'], modelBytes: spec.files.onnx.bytes }
        : { id, endpoint, size: 'small', preferred: 'local', fallbacks: [] };
    }),
    local: { maxLocalSize: 'large', maxEstimatedWaitMs: config.TEXT_DETECTOR_MAX_LOCAL_WAIT_MS },
  };
}
