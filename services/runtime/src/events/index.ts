export {
  EVENT_CATALOG,
  EVENT_TYPES,
  isEventType,
  typesWhere,
  type CatalogRow,
  type EventCatalog,
  type EventPayload,
  type EventType,
  type PayloadOf,
  type TypesWhere,
  type Visibility,
} from './catalog';
export { CHANNELS, channelFor, channelMatches, isSymbolFamily, type ChannelPattern } from './channels';
export { buildEvent, type EventFields } from './build_event';
