#include "apps/cli.hpp"

#include <iostream>
#include <string>

namespace solo {

int run_cli(int argc, char** argv) {
  std::cerr << "usage: solo serve [--data DIR] [--listen HOST:PORT]\n";
  return 2;
}

}  // namespace solo
