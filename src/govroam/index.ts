export { checkGovroam } from './checks';
export { govroamPlan, type GovroamPlan, type ParticipantPlan, type RadiusPeer } from './topology';
export {
  renderGovroam,
  renderParticipantRadsecproxy,
  renderNlrsRadsecproxy,
  renderFreeradius,
  renderLogrotate,
  renderRadsecproxy,
  renderNaptr,
  radsecproxyString,
  freeradiusString,
  realmRegex,
  GovroamRenderError,
  DEFAULT_RADSECPROXY_LOG,
  type SecretResolver,
  type RenderedFile,
  type RadsecproxyOptions,
} from './render';
