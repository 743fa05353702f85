/** The prerequisite helper is test/helpers/prereq.ts; this path stays for the lab tests that import describeLab here. */
export { describeLab, labUnavailable } from '../helpers/prereq';
