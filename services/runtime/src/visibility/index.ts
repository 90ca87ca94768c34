export { ownerAllows, ownerAllowsSql, ownerOfEvent, type Viewer } from './visibility';
