// The command line: `solo serve` and the client verbs.
#pragma once

namespace solo {

int run_cli(int argc, char** argv);

}  // namespace solo
