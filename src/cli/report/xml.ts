export { xmlEscape } from '../../util/escape/xml';
