export {
  AppError,
  COMMON_DOMAIN,
  isAppError,
  invalidArgument,
  outOfRange,
  notFound,
  alreadyExists,
  failedPrecondition,
  permissionDenied,
  unauthenticated,
  resourceExhausted,
  unavailable,
  aborted,
  type AppErrorOptions,
  type FieldViolation,
} from './app_error';
export { errorDomain, declaredErrorDomains, commonError, type ErrorDomain, type ReasonTable } from './error_domain';
export {
  checkText,
  textViolation,
  checkSymbol,
  checkId,
  SYMBOL_PATTERN,
  SYMBOL_HINT,
  SYMBOL_MAX,
  checkNumber,
  checkInt32,
  checkUint32,
  checkInt64,
  checkTimestamp,
  checkOneOf,
  checkCount,
  assertValid,
  ID_PATTERN,
  ID_HINT,
  INT32_MIN,
  INT32_MAX,
  UINT32_MAX,
  TIMESTAMP_MIN,
  TIMESTAMP_MAX,
  type TextRule,
  type TextCheck,
  type NumberRule,
  type TimestampRule,
  type OneOfRule,
  type AssertValidOptions,
} from './checks';
export { toServiceError, STATUS_DETAILS_KEY, APP_ERROR_CODE_KEY, APP_ERROR_DETAILS_KEY } from './grpc_status';
export { encodeStatus, decodeStatus, type StatusDetails } from './status_codec';
export { toAppError, type UnexpectedContext } from './unexpected';
export { textViolations } from './request_text';
export { quote, wellFormed, storable, asciiJson, hasControl, hasLoneSurrogate } from './safe_text';
