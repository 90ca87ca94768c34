export { ownerAllows, ownerAllowsSql, type Viewer } from './visibility';
