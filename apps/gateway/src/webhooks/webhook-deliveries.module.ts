import { Module } from '@nestjs/common';
import { WebhookDeliveryQueue } from './webhook-delivery-queue';

/** The queue of webhook deliveries, for the recorder that fills it and the notifier that works it. */
@Module({ providers: [WebhookDeliveryQueue], exports: [WebhookDeliveryQueue] })
export class WebhookDeliveriesModule {}
