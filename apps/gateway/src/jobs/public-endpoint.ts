import { Injectable, type PipeTransform } from '@nestjs/common';
import { EndpointRegistry } from '@switchyard/shared';
import { NotFoundError } from '../http/api-errors';

/** An endpoint id from a `/v2` path: an internal queue (the deployer's) is as unknown there as any other id. */
@Injectable()
export class PublicEndpointPipe implements PipeTransform<string, string> {
  constructor(private readonly endpoints: EndpointRegistry) {}

  transform(endpointId: string): string {
    if (!this.endpoints.isPublic(endpointId)) throw new NotFoundError(`Endpoint "${endpointId}"`, 'endpointId');
    return endpointId;
  }
}
