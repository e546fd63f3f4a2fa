// `solo mcp` (apps/cli_mcp.cpp): the command line of the stdio MCP proxy
// (apps/mcp_stdio_proxy.hpp). Separate from the verb so that the unit tests
// (tests/unit/apps/cli_mcp_test.cpp) can check how arguments become options.
#pragma once

#include "apps/cli_args.hpp"
#include "apps/mcp_stdio_proxy.hpp"

namespace solo {

// The proxy's options from the client options every verb takes (--url,
// --token or $SOLO_TOKEN or DIR/admin.token, --tenant, TLS). UsageError for a
// positional argument, a URL that is not http(s)://HOST:PORT, or no token at
// all (every /mcp request needs one).
mcp_stdio::ProxyOptions mcp_proxy_options(const CliArgs& args);

}  // namespace solo
