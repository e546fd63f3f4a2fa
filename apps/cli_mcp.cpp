// The `mcp` verb: Solo's MCP server over stdio, for agent hosts that launch a
// command (docs/mcp.md, "Connecting"; docs/cli.md). It takes the client
// options of the other verbs and relays to URL/mcp (apps/mcp_stdio_proxy.hpp).
#include "apps/cli_mcp.hpp"

#include <unistd.h>

#include "apps/cli_client.hpp"
#include "apps/cli_verbs.hpp"

namespace solo {

mcp_stdio::ProxyOptions mcp_proxy_options(const CliArgs& args) {
  expect_positionals(args, 0, 0);
  mcp_stdio::ProxyOptions options;
  make_http(args, std::chrono::seconds(1));  // a bad --url or TLS file is a usage error now, not per message
  options.url = server_url(args);
  options.tls = tls_options(args);
  options.identity = identity_headers(args);
  bool has_token = false;
  for (const auto& [name, value] : options.identity) has_token = has_token || name == "Authorization";
  if (!has_token) {
    throw UsageError("no token: give --token, set $SOLO_TOKEN, or run beside the server's data directory (--data)");
  }
  return options;
}

namespace {

int cmd_mcp(const CliArgs& args) {
  auto options = mcp_proxy_options(args);
  return mcp_stdio::run_proxy(options, STDIN_FILENO, STDOUT_FILENO);
}

}  // namespace

std::vector<Verb> mcp_verbs() {
  return {
      {"mcp", "mcp [--url URL] [--token T]",
       "the server's MCP endpoint (URL/mcp) over stdio, for agent hosts that launch a command:\n"
       "      newline-delimited JSON-RPC on stdin/stdout, diagnostics on stderr (docs/mcp.md)",
       {}, {}, cmd_mcp},
  };
}

}  // namespace solo
