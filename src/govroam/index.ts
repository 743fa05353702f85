export { checkGovroam } from './checks';
export { renderRadsecproxy, renderNaptr, GovroamRenderError, type SecretResolver, type RenderedFile } from './render';
