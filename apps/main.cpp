// The solo executable: `solo serve` and the CLI verbs.
#include "apps/cli.hpp"

int main(int argc, char** argv) { return solo::run_cli(argc, argv); }
