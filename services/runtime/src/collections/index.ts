export { OrderedMap } from './ordered_map';
