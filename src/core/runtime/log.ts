// The logger every engine room may be handed (CLI: stderr; backend: the JSON-RPC log channel).

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}
