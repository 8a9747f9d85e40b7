// The tool's version: printed by `cadc --version`, written into every manifest, part of every cache key.

export const TOOL_VERSION = '0.1.0';
