/**
 * mcp, the intent detector and request router (`mcp_intent_detector`, `MCPRequestRouter`): the
 * keyword scoring of the original, applied to `metadata.current_request` as the original router
 * read it. A request is routed to the direct tool-protocol path when it names an MCP intent with
 * confidence >= 0.5 and both a server and a tool could be read from it. Defects kept here: none
 * (the defects are in what the direct path does; see engine.ts).
 */
import type { JsonObject } from "../../harness/contract/index.ts";

const MCP_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  general: ["mcp", "external tool", "plugin", "extension"],
  file_ops: ["read file", "write file", "edit file", "file system"],
  web_ops: ["fetch url", "web request", "http", "api call"],
  data_ops: ["query database", "search", "index", "retrieve"],
  system_ops: ["run command", "execute", "system call"],
};

const TOOL_PATTERNS: readonly RegExp[] = [
  /use\s+(\w+)\s+tool/i,
  /run\s+(\w+)/i,
  /execute\s+(\w+)/i,
  /call\s+(\w+)/i,
  /(\w+)\s+function/i,
];

const SERVER_MAPPINGS: Readonly<Record<string, readonly string[]>> = {
  filesystem: ["file", "directory", "path", "read", "write"],
  web_scraper: ["url", "web", "scrape", "html", "fetch"],
  database: ["query", "sql", "database", "table", "search"],
  system: ["command", "system", "execute", "run", "shell"],
};

export interface RoutingInfo {
  readonly requiresMcp: boolean;
  readonly serverName?: string;
  readonly toolName?: string;
  readonly confidence: number;
}

export function detectIntent(request: string): RoutingInfo {
  const lower = request.toLowerCase();
  const indicators: string[] = [];
  for (const [category, keywords] of Object.entries(MCP_KEYWORDS)) {
    for (const keyword of keywords)
      if (lower.includes(keyword)) indicators.push(`${category}:${keyword}`);
  }
  if (indicators.length === 0) return { requiresMcp: false, confidence: 0 };
  let serverName: string | undefined;
  let best = 0;
  for (const [server, keywords] of Object.entries(SERVER_MAPPINGS)) {
    const score = keywords.filter((keyword) => lower.includes(keyword)).length;
    if (score > best) {
      best = score;
      serverName = server;
    }
  }
  let toolName: string | undefined;
  for (const pattern of TOOL_PATTERNS) {
    const match = pattern.exec(request);
    if (match?.[1]) {
      toolName = match[1];
      break;
    }
  }
  const confidence = Math.min(
    1,
    indicators.length * 0.2 + (serverName ? 0.3 : 0) + (toolName ? 0.2 : 0),
  );
  return {
    requiresMcp: true,
    confidence,
    ...(serverName ? { serverName } : {}),
    ...(toolName ? { toolName } : {}),
  };
}

/** `MCPRequestRouter.analyze_request`: reads the caller's `metadata.current_request`. */
export function analyzeRequest(metadata: JsonObject | undefined): RoutingInfo {
  const current = metadata?.current_request;
  if (typeof current !== "string" || current === "") return { requiresMcp: false, confidence: 0 };
  return detectIntent(current);
}

/** `should_use_mcp`. */
export function shouldUseMcp(routing: RoutingInfo): boolean {
  return routing.requiresMcp && routing.confidence >= 0.5;
}
