// The logger every host hands its elements and buses: pino's shape, so a service passes its pino
// logger as is and the embedded chain passes the silent one.

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
