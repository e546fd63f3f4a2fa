// The CLI's verb table: each verb declares its synopsis, the options it
// takes (so `solo logs -f svc` and `solo deploy f.lua --id x` both parse, and
// a misspelt option is a usage error), and the function that runs it.
//
// Verbs are grouped by concept in their own files (cli_services.cpp,
// cli_observe.cpp, cli_tokens.cpp, cli_tenants.cpp,
// cli_storage.cpp, cli_mcp.cpp, cli_cluster.cpp) and collected by cli.cpp into the table `solo help` prints.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "apps/cli_args.hpp"

namespace solo {

struct Verb {
  std::string name;
  std::string synopsis;          // "deploy FILE [--id ID] ..." (after "solo ")
  std::string summary;           // one line for `solo help`
  std::set<std::string> valued;  // options taking a value, besides the client options
  std::set<std::string> flags;   // options without a value, besides --json
  std::function<int(const CliArgs&)> run;
  bool client = true;  // takes the client options (--url, --tenant, --token, --json)
};

// deploy, list, status, call, cast, swap, kill (cli_services.cpp)
std::vector<Verb> service_verbs();
// logs, events (cli_observe.cpp)
std::vector<Verb> observe_verbs();
// token, vault, recovery, verify (cli_tokens.cpp)
std::vector<Verb> token_verbs();
// tenant quota, tenant show (cli_tenants.cpp)
std::vector<Verb> tenant_verbs();
// storage ls|get|put|rm|export|import (cli_storage.cpp)
std::vector<Verb> storage_verbs();
// mcp: the MCP server over stdio (cli_mcp.cpp)
std::vector<Verb> mcp_verbs();
// cluster status (cli_cluster.cpp)
std::vector<Verb> cluster_verbs();

}  // namespace solo
