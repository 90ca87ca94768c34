export { suitePortsSchema } from './ports';
