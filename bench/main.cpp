// solo-bench: benchmark scenarios, each beside its baseline in the same run.
#include <iostream>

int main(int argc, char** argv) {
  std::cerr << "usage: solo-bench append [--events N] [--json]\n";
  return 2;
}
