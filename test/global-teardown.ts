export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.switchyardTestContainers ?? []).map((container) => container.stop()));
}
