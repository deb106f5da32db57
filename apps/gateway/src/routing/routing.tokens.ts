/** The gateway's RoutingSettings, or undefined where no routing is configured. */
export const ROUTING_SETTINGS = Symbol('routing-settings');
