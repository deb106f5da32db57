import { Module } from '@nestjs/common';
import { RemoteRelay } from './remote-relay';

/** The `relay` role: runs the jobs routed to remote backends and mirrors them back. */
@Module({ providers: [RemoteRelay] })
export class RelayModule {}
