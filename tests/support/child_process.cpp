#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace solo::test {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

int wait_child(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void exec_child(std::vector<std::string> args, const ChildEnv& env, const std::filesystem::path& working_dir) {
  for (const char* name : {"SOLO_URL", "SOLO_TENANT", "SOLO_TOKEN"}) unsetenv(name);
  for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
  if (!working_dir.empty() && chdir(working_dir.c_str()) != 0) _exit(127);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  _exit(127);
}

ChildRun run_child(const std::filesystem::path& dir, const std::string& stem, std::vector<std::string> args,
                   const ChildEnv& env, const std::filesystem::path& working_dir, std::chrono::milliseconds timeout) {
  auto out_path = dir / (stem + ".out");
  auto err_path = dir / (stem + ".err");
  pid_t pid = fork();
  if (pid < 0) return {};
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    dup2(out, 1);
    dup2(err, 2);
    dup2(in, 0);
    exec_child(std::move(args), env, working_dir);
  }
  ChildRun run;
  run.code = wait_child(pid, timeout);
  run.out = read_text(out_path);
  run.err = read_text(err_path);
  return run;
}

}  // namespace solo::test
