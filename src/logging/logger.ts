import { pino, type Logger, type DestinationStream } from 'pino';

/** Field names whose values are secrets wherever they appear in a log object. */
const secretFields = [
  'apiKey',
  'api_key',
  'accessToken',
  'access_token',
  'appSecret',
  'verifyToken',
  'password',
  'pass',
  'secret',
  'clientSecret',
  'refreshToken',
  'privateKey',
  'private_key',
  'secretAccessKey',
  'token',
  'ciphertext',
];

const redactPaths = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...secretFields.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

export function createLogger(
  options: { level: string; name?: string },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name ?? 'switchyard',
      level: options.level,
      redact: { paths: redactPaths, censor: '[redacted]' },
    },
    destination,
  );
}
