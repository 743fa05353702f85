/**
 * Platform `radius`: govroam's RADIUS servers (DOMAIN.md §3). A device is a participant's radsecproxy, a national
 * proxy (NLRS, lab only) or an IdP's FreeRADIUS home server (lab only), as its intent's `radius` part says.
 */
import type { Driver, ShellTransport, Transport } from '../contract';
import { renderRadius } from './render';
import { diffRadius, openRadius, openRadiusReadOnly } from './session';

function shell(t: Transport): ShellTransport {
  if (t.kind !== 'ssh') throw new Error(`the radius driver needs an SSH transport, not ${t.kind}`);
  return t;
}

export const radiusDriver: Driver = {
  platform: 'radius',
  capabilities: {
    transport: 'ssh',
    nativeCommitConfirm: true,
    validatesOnDevice: true,
    readOnly: true,
    manages: ['radsecproxy configuration and RadSec certificate', 'FreeRADIUS govroam configuration (home servers)'],
  },
  render: (intent) => renderRadius(intent),
  diff: diffRadius,
  open: (t, ctx) => openRadius(shell(t), ctx),
  openReadOnly: (t, ctx) => openRadiusReadOnly(shell(t), ctx),
};

export { renderRadius, RadiusRenderError, HEALTH_PORT, type RadiusChecks } from './render';
export { diffRadius, maskActual, radiusRoot, labRadiusRoot, fill } from './session';
