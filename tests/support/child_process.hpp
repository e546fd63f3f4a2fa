// Running a program from an integration test: `node`, or the `solo` CLI with
// stdout and stderr in files; waiting for a child with a deadline; reading a
// file whole. (cli_test.cpp, storage_api_test.cpp and tls_test.cpp predate
// this and keep their own copies.)
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace solo::test {

// A file's bytes ("" when it cannot be read).
std::string read_text(const std::filesystem::path& path);

// Waits for `pid` to exit: its exit code (128 + signal when killed by one),
// or -1 after `timeout`, when it is killed (SIGKILL) and reaped.
int wait_child(pid_t pid, std::chrono::milliseconds timeout);

using ChildEnv = std::vector<std::pair<std::string, std::string>>;

// In a child after fork(), once its descriptors are set: clears SOLO_URL,
// SOLO_TENANT and SOLO_TOKEN (so only `env` speaks), adds `env`, enters
// `working_dir` (unless empty) and execs `args` (args[0] looked up on PATH);
// exits 127 when that fails.
[[noreturn]] void exec_child(std::vector<std::string> args, const ChildEnv& env,
                             const std::filesystem::path& working_dir = {});

struct ChildRun {
  int code = -1;  // -1: killed after the timeout
  std::string out;
  std::string err;
};

// Runs `args` with exec_child() with stdin from /dev/null, and stdout and stderr in files
// named after `stem` in `dir`; waits up to `timeout`. Exit code 127: it could
// not be started.
ChildRun run_child(const std::filesystem::path& dir, const std::string& stem, std::vector<std::string> args,
                   const ChildEnv& env, const std::filesystem::path& working_dir, std::chrono::milliseconds timeout);

}  // namespace solo::test
