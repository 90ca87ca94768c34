export { credentialOf } from './credential';
export { admit, type Admission } from './admission';
