const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// The same set but \t \n \r, which a multiline text may hold.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Text that UTF-8 can carry: lone surrogates (which encodeURI and UTF-8 encoders reject) become U+FFFD. */
export const wellFormed = (text: string): string => text.replace(LONE_SURROGATE, '\uFFFD');

/**
 * Text from outside the suite (a receiver's or an upstream's answer) as every store takes it:
 * PostgreSQL text refuses NUL and jsonb also lone surrogates, so both become U+FFFD.
 */
export const storable = (text: string): string => wellFormed(text).replaceAll('\u0000', '\uFFFD');

/**
 * A caller's value quoted for an error message: JSON-quoted (control characters escaped), cut to
 * `max` characters, well-formed. Messages travel in the percent-encoded grpc-message header and in
 * the binary Status, never as raw metadata.
 */
export function quote(value: unknown, max = 64): string {
  const text = typeof value === 'string' ? value : String(value);
  const cut = text.length > max ? `${[...text].slice(0, max).join('')}…` : text;
  return JSON.stringify(wellFormed(cut));
}

/** ASCII-only JSON for a text (non-binary) gRPC metadata value; grpc-js throws on anything else. */
export const asciiJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** True when a text has control characters (C0, DEL, C1), NUL included. */
export const hasControl = (text: string): boolean => {
  CONTROL.lastIndex = 0;
  return CONTROL.test(text);
};

/** hasControl for a multiline text: tab, line feed and carriage return allowed. */
export const hasControlBesidesLineBreaks = (text: string): boolean => CONTROL_BUT_LINE_BREAKS.test(text);

export const hasLoneSurrogate = (text: string): boolean => {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(text);
};
