/** src/devices: one renderer per platform, DeviceIntent -> files plus the commands that validate, activate and verify them. */
import type { DeviceIntent } from '../intent/types';
import { DEVICE_LAYOUT, type DeviceLayout } from './layout';
import { renderLinuxFrr, type RenderedDevice } from './linux-frr';

export * from './layout';
export { renderLinuxFrr, renderFrrConf, routeMapName, parseFrrReloadTest, type RenderedDevice, type RenderedFile, type LiveProbe, type RouteExpectation, type VerifySpec } from './linux-frr';

/** Renders a device for its platform. */
export function renderDevice(intent: DeviceIntent, layout: DeviceLayout = DEVICE_LAYOUT): RenderedDevice {
  switch (intent.platform) {
    case 'linux-frr':
      return renderLinuxFrr(intent, layout);
  }
}
