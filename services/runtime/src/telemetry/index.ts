export { serviceIdentity, type ServiceIdentity } from './service_identity';
